"""The pre-render gate of `omega check`: checks a Manim CE script without running it.

Usage:
  python -I check_script.py [--cache-dir DIR] [--display-name NAME] [--extracted CODE]
                            [--rules FILE] FILE
  python -I check_script.py --verify-table [--rules FILE]

Steps, in order:
  1. syntax: compile() of FILE (never executed);
  2. known-mistake rewrites from rewrites.json, applied to the syntax tree's exact spans
     (strings and comments are never touched), repeated until nothing changes;
  3. scene discovery on the rewritten code (find_scenes.py's logic);
  4. API check of the rewritten code against the installed Manim: unknown names (with the
     closest real ones), unknown attributes of modules, unknown keyword arguments of Manim
     classes and functions, CONFIG dictionaries, self.camera.frame in a 3D scene.

Prints one JSON object on stdout:
  ok, error {type, message}          the checker itself failed (Usage, NotText, FileError, Internal)
  manim_version, names_source        "cache" / "import" (names read from Manim now) / "none"
  environment_error                  Manim is not installed (rewrites still reported)
  extracted, checked_source          FILE was not Python, the --extracted code was checked
  syntax_ok, ready                   ready: no error finding
  rewrites [{rule, line, before, after, message}]       line: in the checked source
  findings [{kind, severity, line, fixed_line, column, message, suggestions, name}]
  scenes [{name, line, bases}], fixed_source, changed, api_check, api_note, elapsed_ms
Manim's names are read from the installed manim (imported once, in this process, never the
user's code) and cached per Manim version in DIR/manim-names-<version>.json.

Deliberately not checked (the script is never run): attributes and methods of Manim objects
(`circle.set_colour(...)`, `self.play(..., run_time=2)`), keyword arguments of methods,
argument counts and types, anything computed at run time (getattr, exec, globals()).
"""

import ast
import bisect
import builtins
import contextlib
import difflib
import importlib.util
import inspect
import io
import json
import os
import re
import sys
import textwrap
import time
import tokenize
import types

sys.dont_write_bytecode = True  # never leave a __pycache__ in the (installed) resources

CHECKER_VERSION = 1
CACHE_FORMAT = 1
MAX_PASSES = 8
MAX_FINDINGS = 60

HERE = os.path.dirname(os.path.abspath(__file__))


def _load_find_scenes():
    """find_scenes.py (one folder up) is the one implementation of scene discovery."""
    path = os.path.join(os.path.dirname(HERE), "find_scenes.py")
    spec = importlib.util.spec_from_file_location("omega_find_scenes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


find_scenes = _load_find_scenes()

MODULE_DUNDERS = {
    "__name__", "__file__", "__doc__", "__spec__", "__loader__", "__package__",
    "__builtins__", "__annotations__", "__cached__", "__dict__", "__class__",
}

# Star imports whose names can be listed safely (no side effects on import).
SAFE_STAR_MODULES = ["math", "cmath", "random", "itertools", "functools", "operator",
                     "string", "typing", "collections", "fractions", "decimal",
                     "statistics", "numpy"]


# --------------------------------------------------------------------------------------
# Source text and positions


class SourceText:
    """The text of a module with conversions from ast positions (UTF-8 byte columns)."""

    def __init__(self, text):
        self.text = text
        self.lines = text.split("\n")
        self.starts = []
        pos = 0
        for line in self.lines:
            self.starts.append(pos)
            pos += len(line) + 1
        self._encoded = {}

    def _bytes(self, lineno):
        b = self._encoded.get(lineno)
        if b is None:
            b = self._encoded[lineno] = self.lines[lineno - 1].encode("utf-8")
        return b

    def char_col(self, lineno, col_byte):
        if lineno < 1 or lineno > len(self.lines):
            return 0
        return len(self._bytes(lineno)[:col_byte].decode("utf-8", errors="ignore"))

    def offset(self, lineno, col_byte):
        return self.starts[lineno - 1] + self.char_col(lineno, col_byte)

    def span(self, node):
        return (self.offset(node.lineno, node.col_offset),
                self.offset(node.end_lineno, node.end_col_offset))

    def segment(self, node):
        start, end = self.span(node)
        return self.text[start:end]

    def line_of(self, offset):
        return bisect.bisect_right(self.starts, offset)

    def line_start(self, lineno):
        return self.starts[lineno - 1]

    def line_end(self, lineno):
        return self.starts[lineno - 1] + len(self.lines[lineno - 1])


def apply_edits(text, edits):
    """edits: (start, end, replacement), non-overlapping."""
    out = text
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + replacement + out[end:]
    return out


def overlaps(a, b):
    (s1, e1, _), (s2, e2, _) = a, b
    if s1 == e1 and s2 == e2:
        return s1 == s2
    if s1 == e1:
        return s2 < s1 < e2
    if s2 == e2:
        return s1 < s2 < e1
    return s1 < e2 and s2 < e1


def compiles(text):
    try:
        compile(text, "<gate>", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError):
        return False


def line_map(old_text, new_text):
    """For each 1-based line of new_text, the corresponding line of old_text (0: none)."""
    old_lines = old_text.split("\n")
    new_lines = new_text.split("\n")
    mapping = [0] * (len(new_lines) + 1)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for j in range(j1, j2):
            if tag == "equal":
                mapping[j + 1] = i1 + (j - j1) + 1
            elif tag == "replace":
                mapping[j + 1] = i1 + min(j - j1, i2 - i1 - 1) + 1
            else:  # inserted line: no original
                mapping[j + 1] = 0
    return mapping


# --------------------------------------------------------------------------------------
# Scopes: which names a module binds, where, and what each name use resolves to


class Scope:
    def __init__(self, kind, parent, node=None):
        self.kind = kind  # module, function, class, comprehension
        self.parent = parent
        self.node = node
        self.bindings = {}  # name -> list of binding descriptions (tuples)
        self.global_decls = set()
        self.nonlocal_decls = set()

    def bind(self, name, how):
        self.bindings.setdefault(name, []).append(how)


class ScopeAnalysis(ast.NodeVisitor):
    """Binds every name the way Python does (params, assignments, imports, defs, classes,
    for/with/except targets, comprehension variables, walrus, match captures, global and
    nonlocal) and records each name load with its scope, for resolution afterwards."""

    def __init__(self, tree):
        self.module = Scope("module", None, tree)
        self.scope = self.module
        self.uses = []  # (ast.Name, Scope)
        self.attribute_uses = []  # (ast.Attribute whose value is a Name, Scope)
        self.calls = []  # (ast.Call, Scope)
        self.star_imports = []  # (module name, node)
        self.all_bound = {}  # flat: name -> list of binding descriptions, every scope
        self.classes = []  # (ClassDef, Scope of the class body)
        self.visit(tree)

    # binding helpers
    def _bind(self, name, how, scope=None):
        scope = scope or self.scope
        if name in scope.global_decls:
            scope = self.module
        elif name in scope.nonlocal_decls:
            self.all_bound.setdefault(name, []).append(how)
            return
        scope.bind(name, how)
        self.all_bound.setdefault(name, []).append(how)

    def _function_scope(self):
        scope = self.scope
        while scope.kind == "comprehension":
            scope = scope.parent
        return scope

    def _visit_in(self, scope, nodes):
        saved = self.scope
        self.scope = scope
        for node in nodes:
            if node is not None:
                self.visit(node)
        self.scope = saved

    def _bind_args(self, args, scope):
        for a in args.posonlyargs + args.args + args.kwonlyargs:
            self._bind(a.arg, ("param",), scope)
        if args.vararg:
            self._bind(args.vararg.arg, ("param",), scope)
        if args.kwarg:
            self._bind(args.kwarg.arg, ("param",), scope)

    def _arg_annotations(self, args):
        out = []
        for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if a is not None and a.annotation is not None:
                out.append(a.annotation)
        return out

    # visitors
    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            self.uses.append((node, self.scope))
        else:
            self._bind(node.id, ("assign",))

    def visit_Attribute(self, node):
        if isinstance(node.value, ast.Name) and isinstance(node.ctx, ast.Load):
            self.attribute_uses.append((node, self.scope))
        self.generic_visit(node)

    def visit_Call(self, node):
        self.calls.append((node, self.scope))
        self.generic_visit(node)

    def visit_Global(self, node):
        self.scope.global_decls.update(node.names)
        for name in node.names:
            self.all_bound.setdefault(name, []).append(("global",))

    def visit_Nonlocal(self, node):
        self.scope.nonlocal_decls.update(node.names)

    def visit_Import(self, node):
        for alias in node.names:
            if alias.asname:
                self._bind(alias.asname, ("module", alias.name, node))
            else:
                top = alias.name.split(".")[0]
                self._bind(top, ("module", top, node))

    def visit_ImportFrom(self, node):
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                self.star_imports.append((module, node))
                continue
            self._bind(alias.asname or alias.name, ("from", module, alias.name, node))

    def _visit_function(self, node, is_lambda=False):
        args = node.args
        outer = [*args.defaults, *[d for d in args.kw_defaults if d is not None]]
        if not is_lambda:
            self._bind(node.name, ("def", node))
            outer += node.decorator_list + self._arg_annotations(args)
            if node.returns is not None:
                outer.append(node.returns)
        for n in outer:
            self.visit(n)
        scope = Scope("function", self.scope, node)
        self._bind_args(args, scope)
        body = [node.body] if is_lambda else node.body
        self._visit_in(scope, body)

    def visit_FunctionDef(self, node):
        self._visit_function(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self._visit_function(node, is_lambda=True)

    def visit_ClassDef(self, node):
        self._bind(node.name, ("class", node))
        for n in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(n)
        scope = Scope("class", self.scope, node)
        self.classes.append((node, scope))
        self._visit_in(scope, node.body)

    def _visit_comprehension(self, node, elements):
        generators = node.generators
        self.visit(generators[0].iter)  # evaluated in the enclosing scope
        scope = Scope("comprehension", self.scope, node)
        saved = self.scope
        self.scope = scope
        for i, gen in enumerate(generators):
            if i > 0:
                self.visit(gen.iter)
            self.visit(gen.target)
            for cond in gen.ifs:
                self.visit(cond)
        for element in elements:
            self.visit(element)
        self.scope = saved

    def visit_ListComp(self, node):
        self._visit_comprehension(node, [node.elt])

    visit_SetComp = visit_ListComp
    visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node):
        self._visit_comprehension(node, [node.key, node.value])

    def visit_NamedExpr(self, node):
        self.visit(node.value)
        self._bind(node.target.id, ("assign",), self._function_scope())

    def visit_ExceptHandler(self, node):
        if node.name:
            self._bind(node.name, ("assign",))
        self.generic_visit(node)

    def visit_MatchAs(self, node):
        if node.name:
            self._bind(node.name, ("assign",))
        self.generic_visit(node)

    def visit_MatchStar(self, node):
        if node.name:
            self._bind(node.name, ("assign",))

    def visit_MatchMapping(self, node):
        if node.rest:
            self._bind(node.rest, ("assign",))
        self.generic_visit(node)

    def visit_Subscript(self, node):
        # globals()["name"] = … defines a module name.
        if (isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id == "globals"
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
            self._bind(node.slice.value, ("assign",), self.module)
        self.generic_visit(node)

    # resolution
    def resolve(self, name, scope):
        """The bindings a use of `name` in `scope` sees: a list, [] for unbound (module level
        included); None when the name is unbound in the file (builtins/star imports decide)."""
        if name in scope.global_decls:
            return self.module.bindings.get(name)
        if name in scope.bindings:
            return scope.bindings[name]
        s = scope.parent
        while s is not None and s.kind != "module":
            if s.kind != "class" and name in s.bindings:
                return s.bindings[name]
            s = s.parent
        return self.module.bindings.get(name)


def parent_map(tree):
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    return parents


def is_manim_module(module):
    return module == "manim"


def module_matches(module, patterns):
    for pattern in patterns:
        if pattern.endswith(".*"):
            base = pattern[:-2]
            if module == base or module.startswith(base + "."):
                return True
        elif module == pattern:
            return True
    return False


# --------------------------------------------------------------------------------------
# Manim's names: exports, modules' attributes, accepted keyword arguments (cached)


def manim_version():
    try:
        from importlib.metadata import version

        return version("manim")
    except Exception:
        return ""


@contextlib.contextmanager
def stdout_to_stderr():
    """Whatever importing manim prints must not mix with our JSON on stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _kwargs_usage(func, varkw):
    """How an __init__ uses its **kwargs: (extra accepted keys, passes them up to the next
    __init__ only, uncertain). Reads the function's source; anything unusual → uncertain."""
    try:
        source = textwrap.dedent(inspect.getsource(func))
        fn = ast.parse(source).body[0]
    except Exception:
        return set(), False, True
    parents = parent_map(fn)
    extra, up, uncertain = set(), False, False
    for node in ast.walk(fn):
        if not (isinstance(node, ast.Name) and node.id == varkw):
            continue
        par = parents.get(node)
        if isinstance(par, ast.keyword) and par.arg is None:
            call = parents.get(par)
            f = call.func if isinstance(call, ast.Call) else None
            if (isinstance(f, ast.Attribute) and f.attr == "__init__" and (
                    (isinstance(f.value, ast.Call) and isinstance(f.value.func, ast.Name)
                     and f.value.func.id == "super") or isinstance(f.value, ast.Name))):
                up = True
            else:
                uncertain = True  # handed to something else: any key may be fine
            continue
        if isinstance(par, ast.Attribute) and par.attr in ("pop", "get", "setdefault"):
            call = parents.get(par)
            if (isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Constant)
                    and isinstance(call.args[0].value, str)):
                extra.add(call.args[0].value)
                continue
        if (isinstance(par, ast.Subscript) and isinstance(par.slice, ast.Constant)
                and isinstance(par.slice.value, str)):
            extra.add(par.slice.value)
            continue
        if (isinstance(par, ast.Compare) and isinstance(par.left, ast.Constant)
                and isinstance(par.left.value, str)):
            extra.add(par.left.value)
            continue
        uncertain = True
    return extra, up, uncertain


def _signature_params(func):
    sig = inspect.signature(func)
    params, varkw = [], None
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            params.append(p.name)
        elif p.kind == p.VAR_KEYWORD:
            varkw = p.name
    return params, varkw


def accepted_kwargs(obj):
    """(sorted accepted keyword names, open). open: cannot tell (never flag)."""
    try:
        if inspect.isclass(obj):
            accepted = set()
            for klass in obj.__mro__:
                if klass is object:
                    return sorted(accepted), False
                init = klass.__dict__.get("__init__")
                if init is None:
                    continue
                if not inspect.isfunction(init) or hasattr(init, "__wrapped__"):
                    return sorted(accepted), True
                params, varkw = _signature_params(init)
                accepted.update(params[1:] if params and params[0] == "self" else params)
                if varkw is None:
                    return sorted(accepted), False
                extra, up, uncertain = _kwargs_usage(init, varkw)
                accepted.update(extra)
                if uncertain or not up:
                    return sorted(accepted), True
            return sorted(accepted), True
        if inspect.isfunction(obj) and not hasattr(obj, "__wrapped__"):
            params, varkw = _signature_params(obj)
            return sorted(params), varkw is not None
    except Exception:
        pass
    return [], True


def build_names(version):
    with stdout_to_stderr():
        import manim  # the installed Manim; never the user's script

        exports = sorted(n for n in getattr(manim, "__all__", dir(manim)) if not n.startswith("_"))
        modules = {"manim": sorted(n for n in dir(manim) if not n.startswith("__"))}
        export_modules = {}
        callables = {}
        for name in exports:
            obj = getattr(manim, name, None)
            if isinstance(obj, types.ModuleType):
                export_modules[name] = obj.__name__
                modules.setdefault(obj.__name__, sorted(n for n in dir(obj) if not n.startswith("__")))
            elif inspect.isclass(obj) or inspect.isfunction(obj):
                kwargs, is_open = accepted_kwargs(obj)
                callables[name] = {"kwargs": kwargs, "open": is_open}
        star_modules = {}
        for name in SAFE_STAR_MODULES:
            try:
                mod = sys.modules.get(name) or importlib.import_module(name)
            except Exception:
                continue
            public = getattr(mod, "__all__", None)
            if public is None:
                public = [n for n in dir(mod) if not n.startswith("_")]
            star_modules[name] = sorted(set(public))
            modules.setdefault(mod.__name__, sorted(n for n in dir(mod) if not n.startswith("__")))
    return {
        "format": CACHE_FORMAT,
        "manim_version": version,
        "python": "%d.%d" % sys.version_info[:2],
        "exports": exports,
        "export_modules": export_modules,
        "modules": modules,
        "callables": callables,
        "star_modules": star_modules,
        "builtins": sorted(dir(builtins)),
    }


def load_names(cache_dir, version):
    """(names, source, cache_file): source is "cache" or "import"."""
    python = "%d.%d" % sys.version_info[:2]
    path = os.path.join(cache_dir, "manim-names-%s.json" % version) if cache_dir else ""
    if path and os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as f:
                names = json.load(f)
            if (names.get("format") == CACHE_FORMAT and names.get("manim_version") == version
                    and names.get("python") == python):
                return names, "cache", path
        except (OSError, ValueError):
            pass
    names = build_names(version)
    if path:
        try:
            os.makedirs(cache_dir, exist_ok=True)
            tmp = "%s.%d.tmp" % (path, os.getpid())
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(names, f)
            os.replace(tmp, path)  # atomic: concurrent gates never read half a file
        except OSError:
            path = ""
    return names, "import", path


class Names:
    """Manim's names for one check."""

    def __init__(self, data):
        self.data = data
        self.exports = set(data["exports"]) if data else set()
        self.builtins = set(data["builtins"]) if data else set(dir(builtins))
        self.modules = {k: set(v) for k, v in data["modules"].items()} if data else {}
        self.export_modules = data["export_modules"] if data else {}
        self.callables = data["callables"] if data else {}
        self.star_modules = {k: set(v) for k, v in data["star_modules"].items()} if data else {}

    @property
    def available(self):
        return self.data is not None


# --------------------------------------------------------------------------------------
# Rewrites


class Rewrite:
    def __init__(self, rule, edits, why, line):
        self.rule = rule
        self.edits = edits  # [(start, end, text)]
        self.why = why
        self.line = line  # 1-based, in the pass's text


def _literal_number(node):
    """The value of an int/float literal (optionally signed), else None."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)):
        return sign * node.value
    return None


def _string_constants(node):
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value


class RewritePass:
    """One pass over the current text: collects the applicable rewrites."""

    def __init__(self, text, tree, table, names):
        self.src = SourceText(text)
        self.text = text
        self.tree = tree
        self.table = table
        self.names = names
        self.analysis = ScopeAnalysis(tree)
        self.parents = parent_map(tree)
        self.rewrites = []
        self._tokens = None

    # helpers
    def tokens(self):
        if self._tokens is None:
            try:
                self._tokens = list(tokenize.generate_tokens(io.StringIO(self.text).readline))
            except (tokenize.TokenError, SyntaxError):
                self._tokens = []
        return self._tokens

    def tok_offset(self, pos):
        line, col = pos  # tokenize columns are characters
        return self.src.line_start(line) + col

    def add(self, rule, edits, why, node):
        self.rewrites.append(Rewrite(rule, edits, why, node.lineno))

    def defined_by_script(self, name):
        """True when the script binds `name` itself (a def, class, assignment, parameter or
        an import from anything but Manim/ManimGL): rules must leave it alone."""
        patterns = ["manim"] + [p for rule in self.table.get("imports", []) for p in rule["modules"]]
        for how in self.analysis.all_bound.get(name, []):
            if how[0] == "from" and module_matches(how[1], patterns):
                continue
            return True
        return False

    def manim_module_aliases(self):
        aliases = set()
        for name, hows in self.analysis.module.bindings.items():
            if all(h[0] == "module" and h[1] == "manim" for h in hows):
                aliases.add(name)
        return aliases

    def name_edit(self, node, new):
        start, end = self.src.span(node)
        return (start, end, new)

    def attr_edit(self, node, new):
        """Replaces the attribute name of an ast.Attribute (the last token of the node)."""
        end = self.src.offset(node.end_lineno, node.end_col_offset)
        start = end - len(node.attr)
        if self.text[start:end] != node.attr:
            return None
        return (start, end, new)

    def insert_kwargs(self, call, kwargs_text):
        """Edit inserting `k=v, …` as the last arguments of a call."""
        elements = list(call.args) + list(call.keywords)
        if elements:
            last = max(elements, key=lambda n: (n.end_lineno, n.end_col_offset))
            pos = self.src.offset(last.end_lineno, last.end_col_offset)
            return (pos, pos, ", " + kwargs_text)
        # f() → f(kwargs): the "(" follows the callee
        pos = self.src.offset(call.func.end_lineno, call.func.end_col_offset)
        close = self.src.offset(call.end_lineno, call.end_col_offset) - 1
        inner = self.text[pos:close]
        paren = inner.find("(")
        if paren < 0 or inner[paren + 1:].strip():
            return None
        at = pos + paren + 1
        return (at, at, kwargs_text)

    def delete_keyword(self, call, kw):
        """Edits removing keyword argument `kw` from `call` with its comma, never a comment."""
        start, end = self.src.span(kw)
        toks = [t for t in self.tokens()
                if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)]
        after = [t for t in toks if self.tok_offset(t.start) >= end]
        before = [t for t in toks if self.tok_offset(t.end) <= start]
        if after and after[0].type == tokenize.OP and after[0].string == ",":
            del_end = self.tok_offset(after[0].end)
            # swallow spaces up to the next token on the same line
            while del_end < len(self.text) and self.text[del_end] in " \t":
                del_end += 1
            edit_start, edit_end = start, del_end
        elif before and before[-1].type == tokenize.OP and before[-1].string == ",":
            comma_start = self.tok_offset(before[-1].start)
            between = self.text[comma_start:start]
            if "#" in between or "\n" in between:
                edit_start, edit_end = start, end
            else:
                edit_start, edit_end = comma_start, end
        else:
            edit_start, edit_end = start, end
        if edit_end >= len(self.text) or self.text[edit_end] == "\n":
            while edit_start > 0 and self.text[edit_start - 1] in " \t":
                edit_start -= 1  # no trailing spaces left behind
        # a line left blank disappears
        first, last = self.src.line_of(edit_start), self.src.line_of(edit_end)
        if first == last:
            line_start, line_end = self.src.line_start(first), self.src.line_end(first)
            rest = self.text[line_start:edit_start] + self.text[edit_end:line_end]
            if not rest.strip() and line_end < len(self.text):
                return (line_start, line_end + 1, "")
        return (edit_start, edit_end, "")

    def negated(self, node):
        """Source of -node, using the opposite direction constant where there is one."""
        opposite = self.table.get("opposite_directions", {})
        if isinstance(node, ast.Name) and node.id in opposite and not self.defined_by_script(node.id):
            return opposite[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return self.src.segment(node.operand)
        if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)
                and isinstance(node.right, ast.Name) and node.right.id in opposite
                and _literal_number(node.left) is not None
                and not self.defined_by_script(node.right.id)):
            return "%s * %s" % (self.src.segment(node.left), opposite[node.right.id])
        text = self.src.segment(node)
        if isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
            return "-" + text
        return "-(%s)" % text

    # rules
    def rule_imports(self):
        for rule in self.table.get("imports", []):
            for node in ast.walk(self.tree):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                        module_matches(node.module, rule["modules"]):
                    start = self.src.offset(node.lineno, node.col_offset)
                    m = re.match(r"from\s+([\w.]+(?:\s*\.\s*\w+)*)\s", self.text[start:])
                    if not m:
                        continue
                    self.add(rule["id"], [(start + m.start(1), start + m.end(1), rule["to"])],
                             rule["why"], node)
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if "." in alias.name or not module_matches(alias.name, rule["modules"]):
                            continue
                        a_start = self.src.offset(alias.lineno, alias.col_offset)
                        if self.text[a_start:a_start + len(alias.name)] != alias.name:
                            continue
                        edits = [(a_start, a_start + len(alias.name), rule["to"])]
                        if not alias.asname:  # plain `import manimlib`: its uses too
                            for use, _ in self.analysis.uses:
                                if use.id == alias.name:
                                    edits.append(self.name_edit(use, rule["to"]))
                        self.add(rule["id"], edits, rule["why"], node)

    def rule_renames(self):
        renames = {r["old"]: r for r in self.table.get("renames", [])}
        manim_aliases = self.manim_module_aliases()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in renames:
                rule = renames[node.id]
                if self.defined_by_script(node.id):
                    continue
                self._rename_use(rule, node, self.name_edit)
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
                  and node.attr in renames and isinstance(node.value, ast.Name)
                  and node.value.id in manim_aliases):
                rule = renames[node.attr]
                if rule.get("expression"):
                    continue
                self._rename_use(rule, node, self.attr_edit)
            elif isinstance(node, ast.ImportFrom) and node.module == "manim" and node.level == 0:
                for alias in node.names:
                    rule = renames.get(alias.name)
                    if rule is None or rule.get("expression") or rule.get("call_only"):
                        continue
                    a_start = self.src.offset(alias.lineno, alias.col_offset)
                    if self.text[a_start:a_start + len(alias.name)] != alias.name:
                        continue
                    new = rule["new"]
                    if not self.target_free(new):
                        continue
                    self.add(rule["id"], [(a_start, a_start + len(alias.name), new)], rule["why"], node)

    def target_free(self, new):
        """The replacement's root name (Create, config in config.frame_width) is not one the
        script defines itself, which would silently change its meaning."""
        return not self.defined_by_script(new.split(".")[0])

    def _rename_use(self, rule, node, edit_for):
        parent = self.parents.get(node)
        call = parent if isinstance(parent, ast.Call) and parent.func is node else None
        new = rule["new"]
        if call is not None and rule.get("new_if_tex"):
            positional = [a for a in call.args]
            tex = (len(positional) > 1 or any(isinstance(a, ast.Starred) for a in positional)
                   or any(k.arg in rule.get("tex_kwargs", []) for k in call.keywords)
                   or any("$" in s or "\\" in s for a in positional for s in _string_constants(a)))
            if tex:
                new = rule["new_if_tex"]
        if rule.get("call_only") and call is None:
            return  # used as a value: no call to add the arguments to
        if not self.target_free(new):
            return
        edit = edit_for(node, new)
        if edit is None:
            return
        edits = [edit]
        add = rule.get("add_kwargs") or {}
        missing = {k: v for k, v in add.items() if not any(kw.arg == k for kw in call.keywords)} \
            if call is not None else {}
        if missing:
            if any(kw.arg is None for kw in call.keywords):
                return  # **kwargs may already hold them
            ins = self.insert_kwargs(call, ", ".join("%s=%s" % kv for kv in missing.items()))
            if ins is None:
                return
            edits.append(ins)
        self.add(rule["id"], edits, rule["why"], node)

    def rule_fades(self):
        fades = {r["old"]: r for r in self.table.get("fades", [])}
        for node in ast.walk(self.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in fades):
                continue
            rule = fades[node.func.id]
            if self.defined_by_script(rule["old"]) or not self.target_free(rule["new"]):
                continue
            if any(isinstance(a, ast.Starred) for a in node.args) or \
                    any(k.arg is None for k in node.keywords):
                continue  # cannot tell where the direction is: reported as removed-api
            param = rule["param"]
            to = param["to"]
            if any(k.arg == to for k in node.keywords):
                continue
            edits = [self.name_edit(node.func, rule["new"])]
            if "fixed" in param:
                if len(node.args) != 1:
                    continue
                ins = self.insert_kwargs(node, "%s=%s" % (to, param["fixed"]))
                if ins is None:
                    continue
                edits.append(ins)
            else:
                index = param["arg"]
                kw = next((k for k in node.keywords if k.arg == param["kw"]), None)
                if len(node.args) > index + 1 or (kw is not None and len(node.args) > index):
                    continue
                value = kw.value if kw is not None else (node.args[index] if len(node.args) > index else None)
                if value is None:
                    default = param["default"]
                    if param.get("negate"):
                        default = self.table["opposite_directions"].get(default, "-" + default)
                    ins = self.insert_kwargs(node, "%s=%s" % (to, default))
                    if ins is None:
                        continue
                    edits.append(ins)
                else:
                    text = self.negated(value) if param.get("negate") else self.src.segment(value)
                    target = kw if kw is not None else value
                    start, end = self.src.span(target)
                    edits.append((start, end, "%s=%s" % (to, text)))
            self.add(rule["id"], edits, rule["why"], node)

    def _defines_function(self, name):
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                return True
            if isinstance(node, ast.Attribute) and node.attr == name and \
                    isinstance(node.ctx, ast.Store):
                return True
        return False

    def rule_methods(self):
        methods = {r["old"]: r for r in self.table.get("methods", [])}
        for node in ast.walk(self.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in methods):
                continue
            receiver = node.func.value
            if isinstance(receiver, ast.Name) and receiver.id == "self":
                continue  # GraphScene's self.get_graph: no axes to call plot on
            rule = methods[node.func.attr]
            if self._defines_function(rule["old"]):
                continue
            edit = self.attr_edit(node.func, rule["new"])
            if edit is not None:
                self.add(rule["id"], [edit], rule["why"], node)

    def rule_range_kwargs(self):
        spec = self.table.get("range_kwargs")
        if not spec:
            return
        callees = set(spec["callees"])
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            callee = func.id if isinstance(func, ast.Name) else \
                func.attr if isinstance(func, ast.Attribute) else None
            if callee not in callees:
                continue
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
                    func.value.id == "self":
                continue  # GraphScene's self.get_graph(x_min=…): no range version there
            if isinstance(func, ast.Name) and self.defined_by_script(callee):
                continue
            info = self.names.callables.get(callee) if isinstance(func, ast.Name) else None
            by_name = {k.arg: k for k in node.keywords if k.arg}
            edits = []
            for low, high, target in spec["pairs"]:
                if low not in by_name or high not in by_name or target in by_name:
                    continue
                if info and target not in info["kwargs"]:
                    continue
                lo, hi = by_name[low], by_name[high]
                value = "[%s, %s]" % (self.src.segment(lo.value), self.src.segment(hi.value))
                start, end = self.src.span(lo)
                edits.append((start, end, "%s=%s" % (target, value)))
                edits.append(self.delete_keyword(node, hi))
            if edits and not any(overlaps(a, b) for i, a in enumerate(edits) for b in edits[i + 1:]):
                self.add(spec["id"], edits, spec["why"], node)

    def rule_self_attributes(self):
        rules = {r["old"]: r for r in self.table.get("self_attributes", [])}
        scenes = None
        for cls in [n for n in ast.walk(self.tree) if isinstance(n, ast.ClassDef)]:
            for node in ast.walk(cls):
                if not (isinstance(node, ast.Attribute) and node.attr in rules
                        and isinstance(node.value, ast.Name) and node.value.id == "self"
                        and isinstance(node.ctx, ast.Load)):
                    continue
                rule = rules[node.attr]
                if rule.get("unless_defined") and (self._defines_function(node.attr)
                                                   or self._class_level_binding(node.attr)):
                    continue
                if rule.get("scenes_only"):
                    if scenes is None:
                        scenes = {s["name"] for s in find_scenes.find_scenes(self.text)}
                    if cls.name not in scenes:
                        continue
                edit = self.attr_edit(node, rule["new"])
                if edit is not None:
                    self.add(rule["id"], [edit], rule["why"], node)

    def _class_level_binding(self, name):
        for cls, scope in self.analysis.classes:
            if name in scope.bindings:
                return True
        return False

    def scene_chains(self):
        """{class name: (ClassDef, [terminal (ClassDef, base node, base name)])} for the
        module's scene classes."""
        scenes = {s["name"] for s in find_scenes.find_scenes(self.text)}
        classes = {n.name: n for n in self.tree.body if isinstance(n, ast.ClassDef)}

        def terminals(name, seen):
            cls = classes.get(name)
            if cls is None or name in seen:
                return []
            seen.add(name)
            out = []
            for base in cls.bases:
                bname = find_scenes.base_name(base)
                if bname in classes and bname in scenes:
                    out += terminals(bname, seen)
                elif bname:
                    out.append((cls, base, bname))
            return out

        return {name: (classes[name], terminals(name, set())) for name in scenes if name in classes}

    def uses_camera_frame(self, cls):
        for node in ast.walk(cls):
            if (isinstance(node, ast.Attribute) and node.attr == "frame"
                    and isinstance(node.value, ast.Attribute) and node.value.attr == "camera"
                    and isinstance(node.value.value, ast.Name) and node.value.value.id == "self"):
                return node
        return None

    def rule_moving_camera(self):
        spec = self.table.get("moving_camera")
        if not spec:
            return
        done = set()
        for name, (cls, terms) in self.scene_chains().items():
            if not self.uses_camera_frame(cls):
                continue
            bases = {t[2] for t in terms}
            if bases & set(spec["has_frame"]) or bases & set(spec["no_frame"]):
                continue
            for owner, base, bname in terms:
                if bname != spec["from"] or id(base) in done:
                    continue
                if not self.target_free(spec["to"]):
                    continue
                if isinstance(base, ast.Name):
                    if self.defined_by_script(base.id):
                        continue
                    edit = self.name_edit(base, spec["to"])
                elif isinstance(base, ast.Attribute):
                    edit = self.attr_edit(base, spec["to"])
                else:
                    edit = None
                if edit is not None:
                    done.add(id(base))
                    self.add(spec["id"], [edit], spec["why"], base)

    def rule_degrees(self):
        spec = self.table.get("degrees")
        if not spec:
            return
        methods, params = set(spec["methods"]), spec["params"]
        for node in ast.walk(self.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in methods):
                continue
            values = [k.value for k in node.keywords if k.arg in params]
            values += [a for a in node.args[:len(params)] if not isinstance(a, ast.Starred)]
            edits = []
            for value in values:
                number = _literal_number(value)
                if number is None or abs(number) <= spec["threshold"]:
                    continue
                end = self.src.span(value)[1]
                edits.append((end, end, " * " + spec["multiplier"]))
            if edits:
                self.add(spec["id"], edits, spec["why"], node)

    def rule_missing_import(self):
        spec = self.table.get("missing_import")
        if not spec:
            return
        if any(is_manim_module(m) for m, _ in self.analysis.star_imports):
            return
        needed = False
        for node, scope in self.analysis.uses:
            if self.analysis.resolve(node.id, scope) is None and node.id not in self.names.builtins \
                    and node.id not in MODULE_DUNDERS:
                if (node.id in self.names.exports if self.names.available
                        else node.id in find_scenes.KNOWN_SCENE_BASES):
                    needed = True
                    break
        if not needed:
            return
        # after a shebang/encoding line, the module docstring and __future__ imports
        line = 0
        for i, text in enumerate(self.src.lines[:2]):
            if text.startswith("#!") or re.match(r"^[ \t\f]*#.*?coding[:=]", text):
                line = i + 1
        body = self.tree.body
        k = 0
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            line = max(line, body[0].end_lineno)
            k = 1
        while k < len(body) and isinstance(body[k], ast.ImportFrom) and body[k].module == "__future__":
            line = max(line, body[k].end_lineno)
            k += 1
        if line >= len(self.src.lines):
            pos = len(self.text)
            insert = ("" if self.text.endswith("\n") or not self.text else "\n") + spec["line"] + "\n"
        else:
            pos = self.src.line_start(line + 1)
            insert = spec["line"] + "\n"
        self.rewrites.append(Rewrite(spec["id"], [(pos, pos, insert)], spec["why"], line + 1))

    def collect(self):
        self.rule_imports()
        self.rule_renames()
        self.rule_fades()
        self.rule_methods()
        self.rule_range_kwargs()
        self.rule_self_attributes()
        self.rule_moving_camera()
        self.rule_degrees()
        if not self.rewrites:  # last: it moves every line down, and needs the renames done
            self.rule_missing_import()
        return self.rewrites


def describe_rewrite(text, rewrite):
    """[(line, before, after)]: the whole lines the rewrite touches, before and after it, one
    entry per group of adjacent lines (a renamed import and its uses far below are separate
    entries)."""
    if all(e[0] == e[1] and e[2].endswith("\n") for e in rewrite.edits):
        return [(rewrite.line, "", "".join(e[2] for e in rewrite.edits).rstrip("\n"))]
    src = SourceText(text)
    groups = []  # [first line, last line, edits]
    for edit in sorted(rewrite.edits):
        first = src.line_of(edit[0])
        last = src.line_of(max(edit[0], edit[1] - 1))
        if groups and first <= groups[-1][1] + 1:  # touching lines read as one change
            groups[-1][1] = max(groups[-1][1], last)
            groups[-1][2].append(edit)
        else:
            groups.append([first, last, [edit]])
    out = []
    for first, last, edits in groups:
        span_start, span_end = src.line_start(first), src.line_end(last)
        before = text[span_start:span_end]
        after = apply_edits(before, [(s - span_start, e - span_start, r) for s, e, r in edits])
        out.append((first, textwrap.dedent(before).strip("\n"), textwrap.dedent(after).strip("\n")))
    return out


def run_rewrites(text, table, names):
    """Applies the table until nothing changes. Returns (text, [report dicts])."""
    original = text
    reports = []
    for _ in range(MAX_PASSES):
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            break
        candidates = RewritePass(text, tree, table, names).collect()
        accepted, edits = [], []
        for rw in candidates:
            if any(overlaps(a, b) for a in rw.edits for b in edits):
                continue  # next pass
            accepted.append(rw)
            edits.extend(rw.edits)
        if not accepted:
            break
        new_text = apply_edits(text, edits)
        if not compiles(new_text):  # a rule misfired: keep only the rewrites that compile
            kept, kept_edits = [], []
            for rw in accepted:
                if compiles(apply_edits(text, kept_edits + rw.edits)):
                    kept.append(rw)
                    kept_edits.extend(rw.edits)
            accepted, new_text = kept, apply_edits(text, kept_edits)
            if not accepted:
                break
        mapping = line_map(original, text)
        for rw in accepted:
            for at, before, after in describe_rewrite(text, rw):
                line = mapping[at] if at < len(mapping) else 0
                reports.append({"rule": rw.rule, "line": line or at, "before": before,
                                "after": after, "message": rw.why})
        text = new_text
    reports.sort(key=lambda r: r["line"])
    return text, reports


# --------------------------------------------------------------------------------------
# Findings


def suggest(name, candidates, n=3):
    """The closest real names: a different-case spelling first, then difflib's best matches
    (weak ones dropped when a much closer one exists)."""
    lower = {c.lower(): c for c in candidates}
    out = []
    if name.lower() in lower and lower[name.lower()] != name:
        out.append(lower[name.lower()])
    scored = []
    for match in difflib.get_close_matches(name, candidates, n=n + 2, cutoff=0.6):
        if match != name and match not in out:
            scored.append((difflib.SequenceMatcher(None, name, match).ratio(), match))
    if scored:
        best = scored[0][0]
        out += [m for r, m in scored if r >= best - 0.12]
    if not out:  # "side" → side_length, "size" → font_size
        token = name.lower()
        out = [c for c in candidates if token in c.lower().split("_") and len(token) >= 3][:n]
    return out[:n]


class Checker:
    def __init__(self, text, table, names):
        self.text = text
        self.src = SourceText(text)
        self.table = table
        self.names = names
        self.findings = []
        self.api_check = "full"
        self.api_note = ""

    def add(self, kind, node_or_line, message, suggestions=(), severity="error", name="",
            column=None):
        if isinstance(node_or_line, int):
            line, col = node_or_line, column or 0
        else:
            line = node_or_line.lineno
            col = self.src.char_col(line, node_or_line.col_offset) + 1
        self.findings.append({"kind": kind, "severity": severity, "line": line, "column": col,
                              "message": message, "suggestions": list(suggestions),
                              "name": name})

    def run(self, tree):
        analysis = ScopeAnalysis(tree)
        self.check_names(tree, analysis)
        self.check_config_dicts(tree, analysis)
        self.check_scenes(tree)

    def known_old_names(self):
        out = {}
        for r in self.table.get("renames", []):
            out[r["old"]] = (r["why"], [r["new"]])
        for r in self.table.get("fades", []):
            out[r["old"]] = (r["why"], [r["new"]])
        for r in self.table.get("removed", []):
            out[r["name"]] = (r["why"], r.get("suggestions", []))
        return out

    def check_names(self, tree, analysis):
        names = self.names
        if not names.available:
            self.api_check = "skipped"
            self.api_note = "Manim is not installed: names were not checked."
            return
        has_manim_star = False
        unknown_star = []
        star_names = set()
        for module, node in analysis.star_imports:
            if is_manim_module(module):
                has_manim_star = True
            elif module in names.star_modules:
                star_names |= names.star_modules[module]
            else:
                unknown_star.append(module)
        if has_manim_star:
            star_names |= names.exports
        if unknown_star:
            self.api_check = "partial"
            self.api_note = ("Unknown names were not checked: `from %s import *` may define any name."
                             % unknown_star[0])
        old_names = self.known_old_names()
        file_names = set(analysis.all_bound)
        # site's interactive helpers are builtins too, but never what a script meant
        candidates = sorted((names.exports | names.builtins | file_names)
                            - {"copyright", "credits", "license", "exit", "quit", "help"})

        # unknown names, one finding per name (first use), with the other lines
        unresolved = {}
        for node, scope in analysis.uses:
            if analysis.resolve(node.id, scope) is not None:
                continue
            if node.id in names.builtins or node.id in MODULE_DUNDERS or node.id in star_names:
                continue
            unresolved.setdefault(node.id, []).append(node)
        for name, nodes in sorted(unresolved.items(), key=lambda kv: (kv[1][0].lineno, kv[0])):
            first = nodes[0]
            others = sorted({n.lineno for n in nodes[1:]} - {first.lineno})
            also = (" (also line%s %s)" % ("s" if len(others) > 1 else "",
                                          ", ".join(map(str, others[:8])))) if others else ""
            if name in old_names:
                why, sugg = old_names[name]
                self.add("removed-api", first, why + also, sugg, name=name)
            elif self.class_attribute_of(name, nodes[0], analysis):
                cls = self.class_attribute_of(name, nodes[0], analysis)
                self.add("unknown-name", first, "%s is a class attribute of %s: inside a method "
                         "write self.%s.%s" % (name, cls, name, also), ["self." + name], name=name)
            elif not unknown_star:
                sugg = suggest(name, candidates)
                hint = (" Did you mean %s?" % " or ".join(sugg)) if sugg else ""
                self.add("unknown-name", first, "%s is not defined: not in the script, not a "
                         "Python builtin and not exported by Manim %s.%s%s"
                         % (name, names.data["manim_version"], hint, also), sugg, name=name)

        # `from manim import X`
        manim_attrs = names.modules.get("manim", set())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "manim" and node.level == 0:
                for alias in node.names:
                    if alias.name == "*" or alias.name in manim_attrs:
                        continue
                    if alias.name in old_names:
                        why, sugg = old_names[alias.name]
                        self.add("removed-api", alias, "cannot import %s from manim: %s"
                                 % (alias.name, why), sugg, name=alias.name)
                    else:
                        sugg = suggest(alias.name, sorted(names.exports))
                        self.add("unknown-name", alias, "cannot import %s from manim %s: it "
                                 "has no such name.%s" % (alias.name, names.data["manim_version"],
                                 (" Did you mean %s?" % " or ".join(sugg)) if sugg else ""),
                                 sugg, name=alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "manimlib":
                        self.add("removed-api", alias, "manimlib is ManimGL, not Manim CE: "
                                 "import manim instead.", ["manim"], name=alias.name)

        # module attributes: np.linspce, rate_functions.smoth, manim.Circel
        for node, scope in analysis.attribute_uses:
            module = self.module_of(node.value, scope, analysis, star_names)
            if module is None or module not in names.modules:
                continue
            attrs = names.modules[module]
            if node.attr in attrs or node.attr.startswith("__"):
                continue
            sugg = suggest(node.attr, sorted(a for a in attrs if not a.startswith("_")))
            self.add("unknown-attribute", node, "%s.%s does not exist (module %s).%s"
                     % (node.value.id, node.attr, module,
                        (" Did you mean %s?" % " or ".join(sugg)) if sugg else ""),
                     sugg, name=node.attr)

        # keyword arguments of Manim classes and functions
        manim_aliases = {n for n, hows in analysis.module.bindings.items()
                         if all(h[0] == "module" and h[1] == "manim" for h in hows)}
        for call, scope in analysis.calls:
            export = self.manim_callee(call.func, scope, analysis, has_manim_star, manim_aliases)
            info = names.callables.get(export) if export else None
            if not info or info["open"]:
                continue
            accepted = set(info["kwargs"])
            for kw in call.keywords:
                if kw.arg is None or kw.arg in accepted:
                    continue
                sugg = suggest(kw.arg, sorted(a for a in accepted if not a.startswith("_")))
                self.add("unknown-kwarg", kw, "%s() has no keyword argument %s.%s"
                         % (export, kw.arg, (" Did you mean %s?" % " or ".join(sugg)) if sugg else ""),
                         sugg, name=kw.arg)

    def class_attribute_of(self, name, node, analysis):
        """The class whose body binds `name`, when `node` is inside one of its methods."""
        for use, scope in analysis.uses:
            if use is node:
                s = scope.parent
                while s is not None:
                    if s.kind == "class" and name in s.bindings:
                        return s.node.name
                    s = s.parent
        return None

    def module_of(self, name_node, scope, analysis, star_names):
        hows = analysis.resolve(name_node.id, scope)
        if hows is None:
            if name_node.id in star_names:
                return self.names.export_modules.get(name_node.id)
            return None
        if len(hows) != 1:
            return None
        how = hows[0]
        if how[0] == "module":
            return how[1]
        if how[0] == "from" and how[1] == "manim":
            return self.names.export_modules.get(how[2])
        return None

    def manim_callee(self, func, scope, analysis, has_manim_star, manim_aliases):
        if isinstance(func, ast.Name):
            hows = analysis.resolve(func.id, scope)
            if hows is None:
                return func.id if has_manim_star and func.id in self.names.exports else None
            if len(hows) == 1 and hows[0][0] == "from" and hows[0][1] == "manim":
                return hows[0][2]
            return None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
                func.value.id in manim_aliases and analysis.resolve(func.value.id, scope):
            return func.attr
        return None

    def check_config_dicts(self, tree, analysis):
        spec = self.table.get("config_dict")
        if not spec:
            return
        assigned_attrs = {n.attr for n in ast.walk(tree)
                          if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)}
        read_attrs = {n.attr for n in ast.walk(tree)
                      if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load)
                      and isinstance(n.value, ast.Name) and n.value.id == "self"}
        class_level = set()
        for cls, scope in analysis.classes:
            class_level |= set(scope.bindings)
        for cls, scope in analysis.classes:
            for stmt in cls.body:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else \
                    [stmt.target] if isinstance(stmt, ast.AnnAssign) and stmt.value else []
                if not any(isinstance(t, ast.Name) and t.id == spec["name"] for t in targets):
                    continue
                keys = []
                if isinstance(stmt.value, ast.Dict):
                    keys = [k.value for k in stmt.value.keys
                            if isinstance(k, ast.Constant) and isinstance(k.value, str)]
                missing = sorted(k for k in keys if k in read_attrs and k not in assigned_attrs
                                 and k not in class_level)
                if missing:
                    self.add("config-dict", stmt, "%s.CONFIG is ignored by Manim CE, so self.%s "
                             "will not exist when the scene runs. %s"
                             % (cls.name, ", self.".join(missing), spec["why"]), [], name=missing[0])
                else:
                    self.add("config-dict", stmt, "%s.CONFIG is ignored by Manim CE. %s"
                             % (cls.name, spec["why"]), [], severity="warning")

    def check_scenes(self, tree):
        spec = self.table.get("moving_camera") or {}
        self.scenes = find_scenes.find_scenes(self.text)
        removed_bases = set(self.table.get("removed_scene_bases", []))
        has_removed_base = any(
            find_scenes.base_name(b) in removed_bases
            for n in tree.body if isinstance(n, ast.ClassDef) for b in n.bases)
        if not self.scenes and not has_removed_base:
            self.add("no-scene", 1, "No Scene subclass in the script: Manim would render nothing. "
                     "Define a class deriving from Scene (or ThreeDScene, MovingCameraScene, …) "
                     "with a construct(self) method.", ["Scene"], column=1)
        # a ThreeDScene cannot use self.camera.frame
        rp = RewritePass(self.text, tree, self.table, self.names)
        for name, (cls, terms) in rp.scene_chains().items():
            node = rp.uses_camera_frame(cls)
            bases = {t[2] for t in terms}
            if node is not None and bases & set(spec.get("no_frame", [])) and \
                    not bases & set(spec.get("has_frame", [])):
                self.add("camera-frame", node, "%s: %s" % (name, spec["why_3d"]),
                         ["set_camera_orientation", "move_camera"], name="frame")
        # scenes without construct (only the ones no other scene derives from)
        classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        derived_from = {b for s in self.scenes for b in s["bases"]}
        for scene in self.scenes:
            cls = classes.get(scene["name"])
            if cls is None or scene["name"] in derived_from:
                continue
            if not self._has_construct(cls, classes, set()):
                self.add("no-construct", cls, "%s has no construct(self) method: it would render "
                         "an empty video." % scene["name"], ["construct"], severity="warning",
                         name=scene["name"])

    def _has_construct(self, cls, classes, seen):
        if cls.name in seen:
            return False
        seen.add(cls.name)
        for stmt in cls.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == "construct":
                return True
        for base in cls.bases:
            name = find_scenes.base_name(base)
            if name in classes:
                if self._has_construct(classes[name], classes, seen):
                    return True
            elif name not in ("Scene", None):
                return True  # a library base may define it (e.g. a plugin's template scene)
        return False


# --------------------------------------------------------------------------------------
# Main


def read_source(path):
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8-sig")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check(text, display_name, table, names):
    result = {"syntax_ok": True, "rewrites": [], "findings": [], "scenes": [],
              "fixed_source": text, "changed": False}
    try:
        compile(text, display_name, "exec", dont_inherit=True)
    except SyntaxError as e:
        line = e.lineno or 0
        col = e.offset or 0
        result["syntax_ok"] = False
        result["findings"].append({
            "kind": "syntax", "severity": "error", "line": line, "column": col,
            "message": "%s: %s" % (type(e).__name__, e.msg or str(e)),
            "suggestions": [], "name": "", "fixed_line": line,
            "text": (e.text or "").rstrip("\n")})
        result["scenes"] = []
        return result, "full", ""
    except ValueError as e:  # null bytes
        result["syntax_ok"] = False
        result["findings"].append({"kind": "not-text", "severity": "error", "line": 0,
                                   "column": 0, "message": str(e), "suggestions": [],
                                   "name": "", "fixed_line": 0})
        return result, "skipped", ""

    fixed, reports = run_rewrites(text, table, names)
    result["rewrites"] = reports
    result["fixed_source"] = fixed
    result["changed"] = fixed != text
    tree = ast.parse(fixed)
    checker = Checker(fixed, table, names)
    checker.run(tree)
    mapping = line_map(text, fixed)
    findings = checker.findings
    for f in findings:
        f["fixed_line"] = f["line"]
        f["line"] = mapping[f["line"]] if 0 < f["line"] < len(mapping) else 0
    findings.sort(key=lambda f: (f["severity"] != "error", f["fixed_line"], f["column"]))
    result["findings"] = findings[:MAX_FINDINGS]
    result["scenes"] = checker.scenes
    return result, checker.api_check, checker.api_note


def load_table(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def verify_table(table, names):
    """Every name the table rewrites to must exist in the installed Manim."""
    missing = []
    exports = names.exports
    for r in table.get("renames", []):
        target = r["new"]
        if r.get("expression"):
            obj, _, attr = target.partition(".")
            if obj not in exports:
                missing.append(target)
            continue
        for t in [target, r.get("new_if_tex")]:
            if t and t not in exports:
                missing.append(t)
    for r in table.get("fades", []):
        if r["new"] not in exports:
            missing.append(r["new"])
        info = names.callables.get(r["new"], {})
        if r["param"]["to"] not in info.get("kwargs", []):
            missing.append("%s(%s=)" % (r["new"], r["param"]["to"]))
    mc = table.get("moving_camera", {})
    for t in [mc.get("to")] + mc.get("has_frame", []) + mc.get("no_frame", []):
        if t and t not in exports:
            missing.append(t)
    if table.get("degrees", {}).get("multiplier") not in exports:
        missing.append(table["degrees"]["multiplier"])
    for r in table.get("removed", []):
        if r["name"] in exports:
            missing.append("removed name still exists: " + r["name"])
    return missing


def main(argv):
    started = time.monotonic()
    sys.setrecursionlimit(10000)  # deeply nested expressions in generated code
    args = argv[1:]
    options = {"--cache-dir": "", "--display-name": "", "--extracted": "",
               "--rules": os.path.join(HERE, "rewrites.json")}
    flags = set()
    positional = []
    i = 0
    while i < len(args):
        if args[i] in options and i + 1 < len(args):
            options[args[i]] = args[i + 1]
            i += 2
        elif args[i].startswith("--"):
            flags.add(args[i])
            i += 1
        else:
            positional.append(args[i])
            i += 1
    out = {"ok": True, "checker_version": CHECKER_VERSION,
           "python_version": "%d.%d.%d" % sys.version_info[:3]}
    try:
        table = load_table(options["--rules"])
        version = manim_version()
        out["manim_version"] = version
        names_data, source, cache_file = None, "none", ""
        if version:
            names_data, source, cache_file = load_names(options["--cache-dir"], version)
        else:
            out["environment_error"] = "Manim is not installed in this Python (%s)." % sys.executable
        names = Names(names_data)
        out["names_source"] = source
        out["cache_file"] = cache_file
        if "--verify-table" in flags:
            out["missing"] = verify_table(table, names) if names.available else ["manim missing"]
        elif len(positional) != 1:
            out.update(ok=False, error={"type": "Usage", "message": "usage: check_script.py [--cache-dir DIR] FILE"})
        else:
            try:
                text = read_source(positional[0])
                # The code extracted from a pasted answer: used when FILE itself is not Python
                # (so a real script is never second-guessed by the extractor).
                if options["--extracted"]:
                    code = read_source(options["--extracted"])
                    if code != text and not compiles(text):
                        text = code
                        out["extracted"] = True
                        out["checked_source"] = code
            except UnicodeDecodeError:
                out.update(ok=False, error={"type": "NotText", "message": "the file is not UTF-8 text"})
            except OSError as e:
                out.update(ok=False, error={"type": "FileError", "message": e.strerror or str(e)})
            else:
                out.setdefault("extracted", False)
                result, api_check, api_note = check(
                    text, options["--display-name"] or positional[0], table, names)
                out.update(result)
                out["api_check"] = api_check
                out["api_note"] = api_note
                out["ready"] = not any(f["severity"] == "error" for f in result["findings"])
    except Exception as e:  # report, never a bare traceback instead of JSON
        import traceback

        out.update(ok=False, error={"type": "Internal", "message": "%s: %s" % (type(e).__name__, e),
                                    "detail": traceback.format_exc()[-4000:]})
    out["elapsed_ms"] = int((time.monotonic() - started) * 1000)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
