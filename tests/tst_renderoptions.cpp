// RenderOptions: the manim command line and the output path, derived (never guessed).
#include "RenderOptions.h"

#include <QTest>

using namespace omega;

class TestRenderOptions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void namesRoundTrip() {
        for (const QString& name : {QStringLiteral("l"), QStringLiteral("m"), QStringLiteral("h"),
                                    QStringLiteral("p"), QStringLiteral("k")})
            QCOMPARE(qualityName(*qualityFromName(name)), name);
        for (const QString& name :
             {QStringLiteral("mp4"), QStringLiteral("gif"), QStringLiteral("webm"),
              QStringLiteral("mov"), QStringLiteral("png")})
            QCOMPARE(formatName(*formatFromName(name)), name);
        for (const QString& name :
             {QStringLiteral("16:9"), QStringLiteral("9:16"), QStringLiteral("1:1")})
            QCOMPARE(aspectName(*aspectFromName(name)), name);
        QVERIFY(!qualityFromName(QStringLiteral("x")));
        QVERIFY(!formatFromName(QStringLiteral("avi")));
        QVERIFY(!aspectFromName(QStringLiteral("4:3")));
    }

    void resolutions() {
        QCOMPARE(resolutionFor(Quality::Low, Aspect::Landscape16x9), QSize(854, 480));
        QCOMPARE(resolutionFor(Quality::Low, Aspect::Portrait9x16), QSize(480, 854));
        QCOMPARE(resolutionFor(Quality::High, Aspect::Square1x1), QSize(1080, 1080));
        QCOMPARE(resolutionFor(Quality::FourK, Aspect::Landscape16x9), QSize(3840, 2160));
        QCOMPARE(frameRateFor(Quality::Medium, 0), 30);
        QCOMPARE(frameRateFor(Quality::Medium, 12), 12);
    }

    void defaultArguments() {
        RenderOptions options;
        options.quality = Quality::Low;
        const QStringList args = manimArguments(options, QStringLiteral("/j/scene.py"),
                                                QStringLiteral("Hello"), QStringLiteral("/m"));
        QCOMPARE(args.mid(0, 5),
                 (QStringList{QStringLiteral("-P"), QStringLiteral("-m"), QStringLiteral("manim"),
                              QStringLiteral("render"), QStringLiteral("-ql")}));
        QCOMPARE(args.mid(args.size() - 2),
                 (QStringList{QStringLiteral("/j/scene.py"), QStringLiteral("Hello")}));
        QVERIFY(args.contains(QStringLiteral("--silent"))); // no PyPI version check at render time
        const int media = int(args.indexOf(QStringLiteral("--media_dir")));
        QVERIFY(media > 0);
        QCOMPARE(args.at(media + 1), QStringLiteral("/m"));
        QVERIFY(!args.contains(QStringLiteral("--disable_caching")));
        QVERIFY(!args.contains(QStringLiteral("--resolution")));
    }

    void everyOption() {
        RenderOptions options;
        options.quality = Quality::Medium;
        options.aspect = Aspect::Portrait9x16;
        options.fps = 24;
        options.format = OutputFormat::Gif;
        options.transparent = true;
        options.useCache = false;
        const QStringList args = manimArguments(options, QStringLiteral("s.py"),
                                                QStringLiteral("S"), QStringLiteral("m"));
        QVERIFY(args.contains(QStringLiteral("-qm")));
        QCOMPARE(args.at(args.indexOf(QStringLiteral("--resolution")) + 1),
                 QStringLiteral("720,1280"));
        QCOMPARE(args.at(args.indexOf(QStringLiteral("--fps")) + 1), QStringLiteral("24"));
        QCOMPARE(args.at(args.indexOf(QStringLiteral("--format")) + 1), QStringLiteral("gif"));
        QVERIFY(args.contains(QStringLiteral("--transparent")));
        QVERIFY(args.contains(QStringLiteral("--disable_caching")));
    }

    void sceneNameIsOneArgument() {
        // A hostile scene name stays one argv entry; nothing ever passes it to a shell.
        RenderOptions options;
        const QString evil = QStringLiteral("X; touch /tmp/p $(id)");
        const QStringList args =
            manimArguments(options, QStringLiteral("s.py"), evil, QStringLiteral("m"));
        QCOMPARE(args.last(), evil);
    }

    void outputPaths_data() {
        QTest::addColumn<int>("quality");
        QTest::addColumn<int>("format");
        QTest::addColumn<int>("aspect");
        QTest::addColumn<int>("fps");
        QTest::addColumn<bool>("lastFrame");
        QTest::addColumn<bool>("transparent");
        QTest::addColumn<QString>("expected");
        // Layouts observed with manim 0.22.0 (see tests/tst_render.cpp for the real renders).
        QTest::newRow("mp4 low") << int(Quality::Low) << int(OutputFormat::Mp4)
                                 << int(Aspect::Landscape16x9) << 0 << false << false
                                 << QStringLiteral("/m/videos/demo/480p15/Hello.mp4");
        QTest::newRow("mp4 high") << int(Quality::High) << int(OutputFormat::Mp4)
                                  << int(Aspect::Landscape16x9) << 0 << false << false
                                  << QStringLiteral("/m/videos/demo/1080p60/Hello.mp4");
        QTest::newRow("gif") << int(Quality::Low) << int(OutputFormat::Gif)
                             << int(Aspect::Landscape16x9) << 0 << false << false
                             << QStringLiteral("/m/videos/demo/480p15/Hello_ManimCE_v0.22.0.gif");
        QTest::newRow("transparent")
            << int(Quality::Low) << int(OutputFormat::Mp4) << int(Aspect::Landscape16x9) << 0
            << false << true << QStringLiteral("/m/videos/demo/480p15/Hello.mov");
        QTest::newRow("portrait fps")
            << int(Quality::Low) << int(OutputFormat::Mp4) << int(Aspect::Portrait9x16) << 10
            << false << false << QStringLiteral("/m/videos/demo/854p10/Hello.mp4");
        QTest::newRow("webm") << int(Quality::Medium) << int(OutputFormat::Webm)
                              << int(Aspect::Square1x1) << 0 << false << false
                              << QStringLiteral("/m/videos/demo/720p30/Hello.webm");
        QTest::newRow("last frame")
            << int(Quality::Low) << int(OutputFormat::Mp4) << int(Aspect::Landscape16x9) << 0
            << true << false << QStringLiteral("/m/images/demo/Hello_ManimCE_v0.22.0.png");
        QTest::newRow("png") << int(Quality::Low) << int(OutputFormat::Png)
                             << int(Aspect::Landscape16x9) << 0 << false << false
                             << QStringLiteral("/m/images/demo/Hello_ManimCE_v0.22.0.png");
    }
    void outputPaths() {
        QFETCH(int, quality);
        QFETCH(int, format);
        QFETCH(int, aspect);
        QFETCH(int, fps);
        QFETCH(bool, lastFrame);
        QFETCH(bool, transparent);
        QFETCH(QString, expected);
        RenderOptions options;
        options.quality = Quality(quality);
        options.format = OutputFormat(format);
        options.aspect = Aspect(aspect);
        options.fps = fps;
        options.lastFrameOnly = lastFrame;
        options.transparent = transparent;
        QCOMPARE(expectedOutputPath(options, QStringLiteral("/m"), QStringLiteral("demo"),
                                    QStringLiteral("Hello"), QStringLiteral("0.22.0")),
                 expected);
    }

    void stillImagePath() {
        QCOMPARE(expectedStillImagePath(QStringLiteral("/m"), QStringLiteral("demo"),
                                        QStringLiteral("Still"), QStringLiteral("0.22.0")),
                 QStringLiteral("/m/images/demo/Still_ManimCE_v0.22.0.png"));
    }
};

QTEST_GUILESS_MAIN(TestRenderOptions)
#include "tst_renderoptions.moc"
