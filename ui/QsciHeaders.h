#pragma once

// QScintilla's headers use the `signals` and `slots` keywords, which the project turns off
// (QT_NO_KEYWORDS): include them through this file.
#ifdef QT_NO_KEYWORDS
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define OMEGA_QSCI_RESTORE_NO_KEYWORDS
#endif

#include <Qsci/qscilexerpython.h>
#include <Qsci/qsciscintilla.h>
#include <Qsci/qscistyle.h>

#ifdef OMEGA_QSCI_RESTORE_NO_KEYWORDS
#undef signals
#undef slots
#undef OMEGA_QSCI_RESTORE_NO_KEYWORDS
#endif
