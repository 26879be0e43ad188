#pragma once

#include <QLabel>

namespace omega::ui {

// A one-line label that elides its text to the space it has (text() keeps the whole of it,
// shown as the tooltip by its users). For the status bar, where a long error must not widen
// the window or wrap into a tall bar.
class ElidedLabel : public QLabel {
    Q_OBJECT
public:
    explicit ElidedLabel(QWidget* parent = nullptr);

    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;
};

} // namespace omega::ui
