#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace omega {

// One progress reading from manim's tqdm bar, e.g.
// "Animation 3: Create(Circle):  47%|████▋     | 7/15 [00:00<00:00, 68.40it/s]".
struct ProgressUpdate {
    int animationIndex = -1; // 0-based as manim prints it
    QString label;           // "Create(Circle)", "Waiting 4" → label "Waiting"
    int percent = 0;         // 0..100 within this animation
    int frame = 0;           // frames done
    int totalFrames = 0;     // frames in this animation
    bool cached = false;     // "Animation 1 : Using cached data (hash : …)"
};

// Turns manim's stderr/stdout bytes into progress updates. Chunks may split lines, UTF-8
// sequences and ANSI escapes anywhere; lines end in \r (tqdm redraws) or \n.
class ProgressParser {
public:
    QList<ProgressUpdate> feed(const QByteArray& chunk);
    QList<ProgressUpdate> finish(); // flush a last unterminated line

    // Pure helpers, exposed for tests and fuzzing.
    static QString stripAnsi(const QString& text);
    static bool parseLine(const QString& line, ProgressUpdate* update);

    // A line longer than this is no progress bar: it is dropped up to its end, so a stream
    // without line breaks cannot grow the buffer without bound.
    static constexpr int kMaxLineBytes = 64 * 1024;

private:
    static void takeLine(const QByteArray& line, QList<ProgressUpdate>* updates);

    QByteArray pending_;
    bool discarding_ = false; // inside an over-long line: skip to its end
};

// Overall 0..100 for animation `index` at `percent` of `total` animations; -1 when the
// total is unknown.
int overallPercent(int index, int percent, int totalAnimations);

} // namespace omega
