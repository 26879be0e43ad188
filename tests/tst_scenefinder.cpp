// SceneFinder: lists the Scene subclasses of a script with Python's ast, never running it.
// Integration: runs resources/find_scenes.py with the render Python.
#include "SceneFinder.h"
#include "TestSupport.h"

#include <QElapsedTimer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <unistd.h>

using namespace omega;
using omega::test::IsolatedEnvironment;

class TestSceneFinder : public QObject {
    Q_OBJECT

private:
    // Runs a lookup and waits for its one finished() signal.
    static SceneListResult find(const QString& path, const QString& python = QString(),
                                bool* finishedOnce = nullptr) {
        SceneFinder finder;
        if (!python.isEmpty())
            finder.setPython(python);
        QSignalSpy spy(&finder, &SceneFinder::finished);
        finder.find(path);
        if (!spy.wait(30000))
            return {};
        QTest::qWait(50); // a second finished() would be a bug
        if (finishedOnce)
            *finishedOnce = spy.count() == 1;
        return spy.at(0).at(0).value<SceneListResult>();
    }

    static const SceneInfo* sceneNamed(const SceneListResult& list, const QString& name) {
        for (const SceneInfo& scene : list.scenes) {
            if (scene.name == name)
                return &scene;
        }
        return nullptr;
    }

    std::unique_ptr<IsolatedEnvironment> env_;
    SceneListResult kinds_; // finder_kinds.py, looked up once

private Q_SLOTS:
    void initTestCase() {
        env_ = std::make_unique<IsolatedEnvironment>();
        QVERIFY(env_->isValid());
        bool once = false;
        kinds_ = find(test::sceneFixture(QStringLiteral("finder_kinds.py")), {}, &once);
        QVERIFY2(kinds_.result.ok(),
                 qPrintable(kinds_.result.error.message + kinds_.result.error.detail));
        QVERIFY(once);
    }
    void cleanupTestCase() { env_.reset(); }

    void reportsTheInstalledManimVersion() {
        QCOMPARE(kinds_.manimVersion, QStringLiteral("0.22.0"));
    }

    void findsEachSceneKind_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QStringList>("bases");
        QTest::newRow("Scene") << QStringLiteral("Plain") << QStringList{QStringLiteral("Scene")};
        QTest::newRow("ThreeDScene")
            << QStringLiteral("Solid") << QStringList{QStringLiteral("ThreeDScene")};
        QTest::newRow("MovingCameraScene")
            << QStringLiteral("Pan") << QStringList{QStringLiteral("MovingCameraScene")};
        QTest::newRow("ZoomedScene")
            << QStringLiteral("Zoom") << QStringList{QStringLiteral("ZoomedScene")};
        QTest::newRow("several bases (Slide, Scene)")
            << QStringLiteral("Deck")
            << QStringList{QStringLiteral("Slide"), QStringLiteral("Scene")};
        QTest::newRow("manim.Scene attribute")
            << QStringLiteral("Qualified") << QStringList{QStringLiteral("Scene")};
        QTest::newRow("mixin first")
            << QStringLiteral("Mixed")
            << QStringList{QStringLiteral("Mixin"), QStringLiteral("MovingCameraScene")};
        QTest::newRow("local scene base")
            << QStringLiteral("BaseIntro") << QStringList{QStringLiteral("Scene")};
        QTest::newRow("derived from a local scene")
            << QStringLiteral("Middle") << QStringList{QStringLiteral("BaseIntro")};
        QTest::newRow("derived transitively, defined before its base")
            << QStringLiteral("Leaf") << QStringList{QStringLiteral("Middle")};
    }
    void findsEachSceneKind() {
        QFETCH(QString, name);
        QFETCH(QStringList, bases);
        const SceneInfo* scene = sceneNamed(kinds_, name);
        QVERIFY2(scene, qPrintable(QStringLiteral("%1 not in %2")
                                       .arg(name, kinds_.sceneNames().join(QLatin1Char(',')))));
        QCOMPARE(scene->bases, bases);
        const int line =
            test::lineStartingWith(test::sceneFixture(QStringLiteral("finder_kinds.py")),
                                   QStringLiteral("class %1(").arg(name));
        QVERIFY(line > 0);
        QCOMPARE(scene->line, line);
    }

    void listsScenesInFileOrderAndNothingElse() {
        const QStringList expected{QStringLiteral("Plain"),     QStringLiteral("Solid"),
                                   QStringLiteral("Pan"),       QStringLiteral("Zoom"),
                                   QStringLiteral("Deck"),      QStringLiteral("Qualified"),
                                   QStringLiteral("Leaf"),      QStringLiteral("Middle"),
                                   QStringLiteral("BaseIntro"), QStringLiteral("Mixed")};
        QCOMPARE(kinds_.sceneNames(), expected);
    }

    void ignoresNonSceneClasses_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("plain class with construct()") << QStringLiteral("Helper");
        QTest::newRow("dict subclass") << QStringLiteral("Settings");
        QTest::newRow("mixin") << QStringLiteral("Mixin");
        QTest::newRow("plain outer class") << QStringLiteral("Outer");
        QTest::newRow("nested in a method") << QStringLiteral("InnerScene");
        QTest::newRow("nested in a class") << QStringLiteral("NestedScene");
        QTest::newRow("defined in a function") << QStringLiteral("Made");
    }
    void ignoresNonSceneClasses() {
        QFETCH(QString, name);
        QVERIFY2(!sceneNamed(kinds_, name), qPrintable(name));
    }

    void syntaxErrorGivesTheLine() {
        const QString path = test::sceneFixture(QStringLiteral("finder_syntax_error.py"));
        const SceneListResult list = find(path);
        QCOMPARE_STATUS(list.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(list.result.error.category, ErrorCategory::Syntax);
        const int line = test::lineStartingWith(path, QStringLiteral("def construct(self)"));
        QCOMPARE(line, 5);
        QCOMPARE(list.result.error.scriptLine, line);
        QVERIFY(list.result.error.message.contains(QString::number(line)));
        QVERIFY(!list.result.error.hint.isEmpty());
        QVERIFY(list.scenes.isEmpty());
    }

    void emptyFileHasNoScenes() {
        const QString path = QDir(env_->workDir()).filePath(QStringLiteral("empty.py"));
        QVERIFY(test::writeFile(path, {}));
        const SceneListResult list = find(path);
        QVERIFY2(list.result.ok(), qPrintable(list.result.error.message));
        QVERIFY(list.scenes.isEmpty());
        QCOMPARE(list.manimVersion, QStringLiteral("0.22.0"));
    }

    void fileWithoutScenesHasNoScenes() {
        const SceneListResult list = find(test::sceneFixture(QStringLiteral("no_scene.py")));
        QVERIFY2(list.result.ok(), qPrintable(list.result.error.message));
        QVERIFY(list.scenes.isEmpty());
    }

    void binaryGarbageIsUsage_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("png header + invalid utf-8")
            << QByteArray("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd\x80\x81", 21);
        QTest::newRow("utf-8 with null bytes")
            << QByteArray("class A(Scene):\n\x00\x00\x00pass\n", 23);
        QByteArray noise;
        for (int i = 0; i < 4096; ++i)
            noise.append(static_cast<char>((i * 131 + 7) % 256));
        QTest::newRow("4 KiB of every byte") << noise;
    }
    void binaryGarbageIsUsage() {
        QFETCH(QByteArray, bytes);
        const QString path = QDir(env_->workDir()).filePath(QStringLiteral("garbage.py"));
        QVERIFY(test::writeFile(path, bytes));
        const SceneListResult list = find(path);
        QCOMPARE_STATUS(list.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(list.result.error.category, ErrorCategory::Usage);
        QVERIFY(!list.result.error.message.isEmpty());
    }

    void directoryIsUsage() {
        const SceneListResult list = find(env_->workDir());
        QCOMPARE_STATUS(list.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(list.result.error.category, ErrorCategory::Usage);
        QVERIFY(list.result.error.message.contains(env_->workDir()));
    }

    void missingFileIsUsage() {
        const QString path = QDir(env_->workDir()).filePath(QStringLiteral("does-not-exist.py"));
        bool once = false;
        const SceneListResult list = find(path, {}, &once);
        QVERIFY(once);
        QCOMPARE_STATUS(list.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(list.result.error.category, ErrorCategory::Usage);
        QVERIFY(list.result.error.message.contains(path));
    }

    void missingPythonIsEnvironment() {
        bool once = false;
        const SceneListResult list =
            find(test::sceneFixture(QStringLiteral("text_scene.py")),
                 QDir(env_->workDir()).filePath(QStringLiteral("no-venv/bin/python")), &once);
        QVERIFY(once);
        QCOMPARE_STATUS(list.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(list.result.error.category, ErrorCategory::Environment);
        QVERIFY(isEnvironmentProblem(list.result.error.category));
        QVERIFY(list.result.error.hint.contains(QLatin1String("setup")));
    }

    void nonPythonInterpreterIsEnvironment() {
        // An executable that is not Python: the helper "fails", which is the environment's fault.
        const SceneListResult list =
            find(test::sceneFixture(QStringLiteral("text_scene.py")), QStringLiteral("/bin/false"));
        QCOMPARE_STATUS(list.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(list.result.error.category, ErrorCategory::Environment);
    }

    void unicodeAndBomAreFine() {
        // A UTF-8 byte order mark and a non-ASCII class name (valid Python 3 identifiers).
        const QString path = QDir(env_->workDir()).filePath(QStringLiteral("unicode.py"));
        QVERIFY(
            test::writeFile(path, QByteArray("\xef\xbb\xbf# -*- coding: utf-8 -*-\n"
                                             "from manim import *\n\n\n"
                                             "class \xc3\x89"
                                             "cran(Scene):\n"
                                             "    def construct(self):\n"
                                             "        self.add(Text(\"\xc3\xa9t\xc3\xa9\"))\n")));
        const SceneListResult list = find(path);
        QVERIFY2(list.result.ok(), qPrintable(list.result.error.message));
        QCOMPARE(list.sceneNames(), QStringList{QString::fromUtf8("\xc3\x89"
                                                                  "cran")});
        QCOMPARE(list.scenes.first().line, 5);
    }

    void unreadableFileIsUsage() {
        if (::geteuid() == 0)
            QSKIP("root reads any file");
        const QString path = test::copyFixture(QStringLiteral("text_scene.py"), env_->workDir(),
                                               QStringLiteral("locked.py"));
        QVERIFY(!path.isEmpty());
        QVERIFY(QFile::setPermissions(path, QFileDevice::Permissions()));
        const SceneListResult list = find(path);
        QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner);
        QCOMPARE_STATUS(list.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(list.result.error.category, ErrorCategory::Usage);
    }

    void scriptIsNeverExecuted() {
        // A copy, so that if it did run, its marker would land in the temp folder.
        const QString path =
            test::copyFixture(QStringLiteral("finder_not_executed.py"), env_->workDir());
        QVERIFY(!path.isEmpty());
        const QString marker =
            QFileInfo(path).absolutePath() + QStringLiteral("/finder_not_executed.executed");
        const SceneListResult list = find(path);
        QVERIFY2(list.result.ok(),
                 qPrintable(list.result.error.message + list.result.error.detail));
        QCOMPARE(list.sceneNames(), QStringList{QStringLiteral("StillListed")});
        QVERIFY2(!QFileInfo::exists(marker), "the script was executed");
    }

    void cancelBeforeFinishEmitsNothing() {
        SceneFinder finder;
        QSignalSpy spy(&finder, &SceneFinder::finished);
        finder.find(test::sceneFixture(QStringLiteral("finder_kinds.py")));
        QVERIFY(finder.isRunning());
        finder.cancel();
        QVERIFY(!finder.isRunning());
        QVERIFY(!spy.wait(1500));
        QCOMPARE(spy.count(), 0);
    }

    void destroyingARunningFinderDoesNotBlock() {
        // ~SceneFinder cancels; the helper process must be reaped later, not waited for (and
        // not destroyed while running, which makes QProcess warn and block).
        QTest::failOnWarning(
            QRegularExpression(QStringLiteral("QProcess: Destroyed while process")));
        QElapsedTimer clock;
        clock.start();
        {
            SceneFinder finder;
            finder.find(test::sceneFixture(QStringLiteral("finder_kinds.py")));
            QVERIFY(finder.isRunning());
        }
        QTest::qWait(200);
        QVERIFY(clock.elapsed() < 5000);
    }

    void secondFindReplacesTheFirst() {
        SceneFinder finder;
        QSignalSpy spy(&finder, &SceneFinder::finished);
        finder.find(test::sceneFixture(QStringLiteral("finder_kinds.py")), QStringLiteral("first"));
        finder.find(test::sceneFixture(QStringLiteral("two_scenes.py")), QStringLiteral("second"));
        QVERIFY(spy.wait(30000));
        QTest::qWait(300);
        QCOMPARE(spy.count(), 1);
        const auto list = spy.at(0).at(0).value<SceneListResult>();
        QCOMPARE(list.result.jobId, QStringLiteral("second"));
        QCOMPARE(list.sceneNames(),
                 (QStringList{QStringLiteral("First"), QStringLiteral("Second")}));
    }

    // parseSceneFinderOutput is pure: no process needed.
    void parseBadJsonIsInternal_data() {
        QTest::addColumn<QByteArray>("output");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("truncated") << QByteArray(R"({"ok": true, "scenes": [{"name": "A")");
        QTest::newRow("not json") << QByteArray("Traceback (most recent call last):\n  boom\n");
        QTest::newRow("array") << QByteArray(R"([{"name": "A"}])");
    }
    void parseBadJsonIsInternal() {
        QFETCH(QByteArray, output);
        const SceneListResult list = parseSceneFinderOutput(output);
        QCOMPARE_STATUS(list.result.status, ResultStatus::Failed);
        QCOMPARE_CATEGORY(list.result.error.category, ErrorCategory::Internal);
        QVERIFY(list.scenes.isEmpty());
    }

    void parseGoodJson() {
        const SceneListResult list = parseSceneFinderOutput(
            R"({"ok": true, "manim_version": "0.22.0", "scenes": [)"
            R"({"name": "A", "line": 3, "bases": ["Scene"]}, {"name": "B", "line": 9, "bases": ["A", "Mixin"]}]})"
            "\n");
        QVERIFY(list.result.ok());
        QCOMPARE(list.manimVersion, QStringLiteral("0.22.0"));
        QCOMPARE(list.sceneNames(), (QStringList{QStringLiteral("A"), QStringLiteral("B")}));
        QCOMPARE(list.scenes.at(1).line, 9);
        QCOMPARE(list.scenes.at(1).bases,
                 (QStringList{QStringLiteral("A"), QStringLiteral("Mixin")}));
    }

    void parseErrorTypes_data() {
        QTest::addColumn<QByteArray>("output");
        QTest::addColumn<QString>("category");
        QTest::addColumn<int>("line");
        QTest::newRow("SyntaxError")
            << QByteArray(
                   R"({"ok": false, "error": {"type": "SyntaxError", "message": "expected ':'", "line": 4}})")
            << categoryName(ErrorCategory::Syntax) << 4;
        QTest::newRow("IndentationError")
            << QByteArray(
                   R"({"ok": false, "error": {"type": "IndentationError", "message": "x", "line": 7}})")
            << categoryName(ErrorCategory::Syntax) << 7;
        QTest::newRow("NotText")
            << QByteArray(
                   R"({"ok": false, "error": {"type": "NotText", "message": "binary", "line": 0}})")
            << categoryName(ErrorCategory::Usage) << 0;
        QTest::newRow("FileError")
            << QByteArray(
                   R"({"ok": false, "error": {"type": "FileError", "message": "Permission denied", "line": 0}})")
            << categoryName(ErrorCategory::Usage) << 0;
    }
    void parseErrorTypes() {
        QFETCH(QByteArray, output);
        QFETCH(QString, category);
        QFETCH(int, line);
        const SceneListResult list = parseSceneFinderOutput(output);
        QCOMPARE_STATUS(list.result.status, ResultStatus::Failed);
        QCOMPARE(categoryName(list.result.error.category), category);
        QCOMPARE(list.result.error.scriptLine, line);
        QVERIFY(!list.result.error.message.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestSceneFinder)
#include "tst_scenefinder.moc"
