#pragma once

#include <QString>

namespace omega {

// Pure: the unified diff turning `before` into `after`, in the format of GNU `diff -u` and
// `git diff` (so `patch` and `git apply` take it):
//   --- fromLabel
//   +++ toLabel
//   @@ -oldStart,oldCount +newStart,newCount @@
//   ' ' context, '-' removed, '+' added lines
// - `context` unchanged lines around each change (3 by default); changes closer than
//   2 × context lines share one hunk.
// - A count of 1 is written without ",1"; an empty range is written "start,0" where start
//   is the line before it (0 at the top of the file).
// - Lines are compared exactly, line ending included: a last line without "\n" is followed
//   by "\ No newline at end of file", so adding or removing the final newline is a change.
// - Identical texts give an empty string (no headers).
// - Minimal line diff (Myers' O(ND) algorithm, linear space): fine for scripts of any size.
QString unifiedDiff(const QString& before, const QString& after, const QString& fromLabel,
                    const QString& toLabel, int context = 3);

} // namespace omega
