"""List the Manim Scene subclasses of a Python file without executing it.

Usage: python find_scenes.py FILE
Prints one JSON object:
  {"ok": true, "scenes": [{"name", "line", "bases"}], "manim_version": "0.22.0"}
  {"ok": false, "error": {"type", "message", "line"}, "manim_version": …}
Only Python's ast is used: nothing in FILE runs, and manim is not imported.
"""

import ast
import json
import sys

# Manim's own Scene types (and manim-slides'), by the name a script uses for them.
KNOWN_SCENE_BASES = {
    "Scene",
    "ThreeDScene",
    "SpecialThreeDScene",
    "MovingCameraScene",
    "ZoomedScene",
    "VectorScene",
    "LinearTransformationScene",
    "Slide",
    "ThreeDSlide",
}


def base_name(node):
    """'Scene' for Scene, manim.Scene, mn.scene.scene.Scene; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):  # Generic[...]-style bases
        return base_name(node.value)
    return None


def manim_version():
    """The installed Manim's version, read from its dist-info folder name: importlib.metadata
    would cost ~50 ms, paid by every render."""
    import glob
    import os

    for entry in sys.path:
        if os.path.basename(entry) in ("site-packages", "dist-packages"):
            found = glob.glob(os.path.join(glob.escape(entry), "manim-*.dist-info"))
            if found:
                return os.path.basename(found[0])[len("manim-") : -len(".dist-info")]
    try:
        from importlib.metadata import version

        return version("manim")
    except Exception:  # manim missing: the caller reports it
        return ""


def find_scenes(source):
    tree = ast.parse(source)
    classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    bases = {c.name: [b for b in map(base_name, c.bases) if b] for c in classes}
    scene_names = set()
    changed = True
    while changed:  # a class is a scene if any base is a known scene or a scene of this file
        changed = False
        for cls in classes:
            if cls.name in scene_names:
                continue
            if any(b in KNOWN_SCENE_BASES or b in scene_names for b in bases[cls.name]):
                scene_names.add(cls.name)
                changed = True
    top_level = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    return [
        {"name": c.name, "line": c.lineno, "bases": bases[c.name]}
        for c in top_level  # manim only renders module-level classes
        if c.name in scene_names
    ]


def main(argv):
    result = {"manim_version": manim_version()}
    if len(argv) != 2:
        result.update(ok=False, error={"type": "Usage", "message": "usage: find_scenes.py FILE", "line": 0})
    else:
        try:
            with open(argv[1], "rb") as f:
                raw = f.read()
            source = raw.decode("utf-8-sig")
            result.update(ok=True, scenes=find_scenes(source))
        except SyntaxError as e:
            result.update(ok=False, error={"type": type(e).__name__, "message": e.msg or str(e), "line": e.lineno or 0})
        except UnicodeDecodeError:
            result.update(ok=False, error={"type": "NotText", "message": "the file is not UTF-8 Python source", "line": 0})
        except ValueError as e:  # e.g. null bytes in older Pythons
            result.update(ok=False, error={"type": "NotText", "message": str(e), "line": 0})
        except OSError as e:
            result.update(ok=False, error={"type": "FileError", "message": e.strerror or str(e), "line": 0})
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
