#!/usr/bin/env python
"""A small mutation runner for the critical rules (``make mutate``).

Each mutant changes one thing in one target file (an operator, a constant, a guard, a call, a
return), in a scratch copy of the project; the target's covering tests then run
(``pytest -x -q``, with a time limit). A mutant is *killed* when a test fails, *survived* when
they all pass, *timed out* when they run past the limit (counted as killed, as mutmut does).

    python scripts/mutate.py                      # every target, every mutant (slow: hours)
    python scripts/mutate.py --max-mutants 40     # a reproducible sample spread over the targets
    python scripts/mutate.py --target weeks --list  # the mutants of one target, without running

Survivors are listed with file:line, function and mutation. One that cannot change behaviour
(an *equivalent* mutant) goes into ``EQUIVALENT`` below with the reason; it is then left out of
the kill rate. Every other survivor needs a test.
"""
from __future__ import annotations

import argparse
import ast
import fnmatch
import glob
import os
import random
import shutil
import signal
import subprocess  # nosec B404 - runs pytest, without a shell
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    tests: tuple[str, ...]  # paths or globs, relative to the project; missing ones are skipped
    functions: tuple[str, ...] = ("*",)  # qualified names (fnmatch): "due_date", "Week.*", "*.scope_clause"
    widen: tuple[str, ...] = ()  # functions whose returned condition is also replaced by true()


SCOPE_TESTS = ("tests/core/test_scoping_matrix.py", "tests/security/test_access_matrix.py", "tests/auth/test_scope.py",
               "tests/*/test_scoping.py",
               "tests/*/test_*scope*.py", "tests/security/test_*scop*.py")

TARGETS = [
    Target("workdays", "supervision/core/workdays.py",
           ("tests/core/test_workdays.py", "tests/reports/test_weeks.py", "tests/reports/test_weeks_monday_only.py")),
    Target("weeks", "supervision/reports/weeks.py",
           ("tests/reports/test_weeks.py", "tests/reports/test_weeks_monday_only.py",
            "tests/reports/test_overview.py")),
    Target("scoring", "supervision/credit/scoring.py",
           ("tests/credit/test_scoring.py", "tests/credit/test_scoring_reasons.py",
            "tests/credit/test_explain_property.py", "tests/credit/test_score_cache.py")),
    Target("items", "supervision/campaigns/services/items.py",
           ("tests/campaigns/test_transitions.py", "tests/campaigns/test_item_rules.py",
            "tests/campaigns/test_item_service_rules.py")),
    Target("indicators", "supervision/targets/indicators.py",
           ("tests/targets/test_indicators.py", "tests/targets/test_measure_many_mixed_streets.py")),
]

# The scope clauses: the shared module once it exists, else the models' own methods.
SCOPING_MODULE = "supervision/core/scoping.py"
SCOPE_FUNCTIONS = ("*.scope_clause", "_via_*", "_by_*", "*scope*", "*visible*")
SCOPED_MODELS = ("supervision/campaigns/models.py", "supervision/estates/models.py",
                 "supervision/companies/models.py", "supervision/credit/models.py", "supervision/reports/models.py",
                 "supervision/attachments/models.py", "supervision/targets/models.py",
                 "supervision/regions/models.py", "supervision/notifications/models.py",
                 "supervision/auth/models.py", "supervision/audit/models.py", "supervision/api/models.py")


def scope_targets() -> list[Target]:
    if (ROOT / SCOPING_MODULE).exists():
        return [Target("scoping", SCOPING_MODULE, SCOPE_TESTS, ("*",), widen=("*",))]
    return [Target(f"scope:{Path(p).parent.name}", p, SCOPE_TESTS, SCOPE_FUNCTIONS, widen=SCOPE_FUNCTIONS)
            for p in SCOPED_MODELS if (ROOT / p).exists()]


# Survivors judged equivalent: (target path, function, mutation) → why no test can tell them apart.
# The mutation is the text the runner prints, e.g. "`<=` → `<` in `end <= start`".
EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("supervision/core/workdays.py", "workdays_between", "`<=` → `<` in `end <= start`"):
        "when end == start the sum runs over an empty range: 0 either way",
    ("supervision/core/workdays.py", "workdays_between", "guard `if end <= start` removed"):
        "for end <= start, range(1, days + 1) is empty: the sum is 0 either way (the guard only saves work)",
    ("supervision/targets/indicators.py", "_restrict", "guard `if base.company is None` removed"):
        "without the guard `base.company == company_id` is Python's `None == id`, i.e. where(False): "
        "no rows either way",
    ("supervision/core/scoping.py", "Rule.clause", "`raise` removed: `raise NotImplementedError`"):
        "the abstract base: every shape overrides clause(), and the scoping matrix fails on a scoped model "
        "whose shape does not",
    ("supervision/core/scoping.py", "Rule.clause", "returns early (`return None` first)"):
        "the abstract base: never called, every shape overrides clause()",
    ("supervision/reports/weeks.py", "due_date", "guard `if is_workday(nominal)` removed"):
        "a working nominal day is its own last working day, on or after Monday: the next branch returns it",
}

# --- mutants --------------------------------------------------------------------------------

COMPARE_SWAPS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
                 ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.Div: ast.Mult, ast.FloorDiv: ast.Mult,
               ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd}  # & and | combine SQL conditions
SYMBOLS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is",
           ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.Add: "+", ast.Sub: "-", ast.Mult: "*",
           ast.Div: "/", ast.FloorDiv: "//", ast.And: "and", ast.Or: "or", ast.BitAnd: "&", ast.BitOr: "|"}
QUIET_CALLS = ("log.", "logger.", "logging.", "warnings.")


@dataclass(frozen=True)
class Mutant:
    path: str
    line: int
    function: str
    description: str
    start: tuple[int, int]  # (line, col) of the replaced text, 1-based line
    end: tuple[int, int]
    replacement: str

    @property
    def label(self) -> str:
        return f"{self.path}:{self.line} {self.function}: {self.description}"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.path, self.function, self.description)

    def apply(self, source: str) -> str:
        lines = source.splitlines(keepends=True)
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line.encode()))
        raw = source.encode()
        begin = offsets[self.start[0] - 1] + self.start[1]
        finish = offsets[self.end[0] - 1] + self.end[1]
        return (raw[:begin] + self.replacement.encode() + raw[finish:]).decode()


def _short(node: ast.AST, limit: int = 60) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _is_guard(node: ast.If) -> bool:
    last = node.body[-1]
    return isinstance(last, (ast.Raise, ast.Return, ast.Continue, ast.Break))


class _Collector(ast.NodeVisitor):
    def __init__(self, target: Target, source: str):
        self.target = target
        self.source = source
        self.stack: list[str] = []
        self.mutants: list[Mutant] = []
        self.in_fstring = 0
        self.guarded_raises: set[int] = set()  # a guard's only statement: the guard mutant covers it

    # -- where we are
    def _qualname(self) -> str:
        return ".".join(self.stack) or "<module>"

    def _wanted(self) -> bool:
        name = self._qualname()
        return bool(self.stack) and any(fnmatch.fnmatch(name, p) for p in self.target.functions)

    def _widen(self) -> bool:
        return any(fnmatch.fnmatch(self._qualname(), p) for p in self.target.widen)

    def _add(self, node: ast.AST, description: str, replacement: str, *, expression: bool = True) -> None:
        if not self._wanted() or self.in_fstring:
            return
        self.mutants.append(Mutant(
            self.target.path, node.lineno, self._qualname(), description, (node.lineno, node.col_offset),
            (node.end_lineno, node.end_col_offset), f"({replacement})" if expression else replacement))

    # -- scopes
    def visit_ClassDef(self, node):
        self.stack.append(node.name)
        for statement in node.body:  # not the decorators or bases
            self.visit(statement)
        self.stack.pop()

    def visit_FunctionDef(self, node):
        self.stack.append(node.name)
        for statement in node.body:  # not the decorators, defaults or annotations
            self.visit(statement)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_AnnAssign(self, node):  # never the annotation
        if node.value is not None:
            self.visit(node.value)

    def visit_JoinedStr(self, node):
        self.in_fstring += 1
        self.generic_visit(node)
        self.in_fstring -= 1

    # -- expressions
    def visit_Compare(self, node):
        for n, op in enumerate(node.ops):
            swap = COMPARE_SWAPS.get(type(op))
            if swap:
                ops = list(node.ops)
                ops[n] = swap()
                mutated = ast.Compare(left=node.left, ops=ops, comparators=node.comparators)
                self._add(node, f"`{SYMBOLS[type(op)]}` → `{SYMBOLS[swap]}` in `{_short(node)}`", ast.unparse(mutated))
        self.generic_visit(node)

    def visit_BoolOp(self, node):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        self._add(node, f"`{SYMBOLS[type(node.op)]}` → `{SYMBOLS[type(other)]}` in `{_short(node)}`",
                  ast.unparse(ast.BoolOp(op=other, values=node.values)))
        self.generic_visit(node)

    def visit_BinOp(self, node):
        swap = BINOP_SWAPS.get(type(node.op))
        if swap and not (isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)):
            self._add(node, f"`{SYMBOLS[type(node.op)]}` → `{SYMBOLS[swap]}` in `{_short(node)}`",
                      ast.unparse(ast.BinOp(left=node.left, op=swap(), right=node.right)))
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, ast.Not):
            self._add(node, f"`not` removed in `{_short(node)}`", ast.unparse(node.operand))
        self.generic_visit(node)

    def visit_Constant(self, node):
        if node.value is True or node.value is False:
            self._add(node, f"`{node.value}` → `{not node.value}`", str(not node.value))

    def visit_Call(self, node):
        name = ast.unparse(node.func)
        swaps = {"and_": "or_", "or_": "and_", "min": "max", "max": "min"}
        tail = name.rsplit(".", 1)[-1]
        if tail in swaps and self._wanted() and not self.in_fstring:
            func = node.func
            self.mutants.append(Mutant(
                self.target.path, node.lineno, self._qualname(),
                f"`{tail}(…)` → `{swaps[tail]}(…)` in `{_short(node)}`",
                (func.end_lineno, func.end_col_offset - len(tail)), (func.end_lineno, func.end_col_offset),
                swaps[tail]))
        self.generic_visit(node)

    # -- statements
    def visit_If(self, node):
        if _is_guard(node):
            self._add(node.test, f"guard `if {_short(node.test)}` removed", "False")
            if len(node.body) == 1:
                self.guarded_raises.add(id(node.body[0]))
        else:
            self._add(node.test, f"`if {_short(node.test)}` negated", f"not ({ast.unparse(node.test)})")
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._add(node, f"`{_short(node)}` → `=`",
                  ast.unparse(ast.Assign(targets=[node.target], value=node.value, lineno=0)), expression=False)
        self.generic_visit(node)

    def visit_Raise(self, node):
        if id(node) not in self.guarded_raises:
            self._add(node, f"`raise` removed: `{_short(node)}`", "pass", expression=False)

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Call) and not ast.unparse(node.value.func).startswith(QUIET_CALLS):
            self._add(node, f"call removed: `{_short(node)}`", "pass", expression=False)
        self.generic_visit(node)

    def visit_Return(self, node):
        if (node.value is not None and self._widen() and not isinstance(node.value, ast.Constant)
                and ast.unparse(node.value) != "true()"):
            self._add(node.value, f"scope widened: `return {_short(node.value)}` → `true()`",
                      "__import__('sqlalchemy').true()")
        self.generic_visit(node)


def _early_returns(target: Target, tree: ast.Module, wanted) -> list[Mutant]:
    """A ``return None`` before each wanted function's first statement (after its docstring)."""
    out = []

    def walk(node, stack):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                walk(child, stack + [child.name])
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = ".".join(stack + [child.name])
                body = child.body
                first = body[1] if (len(body) > 1 and isinstance(body[0], ast.Expr)
                                    and isinstance(body[0].value, ast.Constant)) else body[0]
                if any(fnmatch.fnmatch(name, p) for p in wanted) and not isinstance(first, ast.Return):
                    indent = " " * first.col_offset
                    out.append(Mutant(target.path, first.lineno, name, "returns early (`return None` first)",
                                      (first.lineno, first.col_offset), (first.lineno, first.col_offset),
                                      f"return None\n{indent}"))
                walk(child, stack + [child.name])

    walk(tree, [])
    return out


def mutants_of(target: Target) -> list[Mutant]:
    source = (ROOT / target.path).read_text()
    tree = ast.parse(source)
    collector = _Collector(target, source)
    collector.visit(tree)
    mutants = collector.mutants + _early_returns(target, tree, target.functions)
    unique = {}
    for mutant in sorted(mutants, key=lambda m: (m.start, m.description)):
        unique.setdefault((mutant.start, mutant.end, mutant.replacement), mutant)
    return list(unique.values())


# --- running --------------------------------------------------------------------------------

def covering_tests(target: Target) -> list[str]:
    found = []
    for pattern in target.tests:
        for path in sorted(glob.glob(str(ROOT / pattern))):
            relative = str(Path(path).relative_to(ROOT))
            if relative not in found:
                found.append(relative)
    return found


def make_scratch() -> Path:
    """A copy of the project to mutate, so the working tree is never changed."""
    scratch = Path(tempfile.mkdtemp(prefix="mutate-")) / "project"
    shutil.copytree(ROOT, scratch, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.pyc", ".pytest_cache", "bench", "node_modules"))
    return scratch


def run_tests(scratch: Path, tests: list[str], timeout: float) -> str:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")  # a mutant's code is never cached
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
               "-n", "0", *tests]
    process = subprocess.Popen(command, cwd=scratch, env=env, stdout=subprocess.DEVNULL,  # nosec B603
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return "timeout"
    except BaseException:  # interrupted: leave no test run behind
        os.killpg(process.pid, signal.SIGKILL)
        raise
    if code == 5:  # no tests collected: a broken mapping, not a kill
        raise SystemExit(f"no tests collected for {tests}")
    return "killed" if code else "survived"


def baseline(scratch: Path, tests: list[str], limit: float) -> float:
    """Seconds the covering tests take unmutated; they must pass, or every 'kill' would be false."""
    started = time.monotonic()
    outcome = run_tests(scratch, tests, limit)
    if outcome != "survived":
        raise SystemExit(f"the covering tests do not pass without a mutant ({outcome}): {' '.join(tests)}")
    return time.monotonic() - started


def sample(mutants: list[tuple[Mutant, Target]], limit: int | None, seed: int) -> list[Mutant]:
    """A seeded sample, round robin over the targets (the scope clauses of all models count as one)."""
    if limit is None or limit >= len(mutants):
        return [m for m, _t in mutants]
    rng = random.Random(seed)
    groups: dict[str, list[Mutant]] = {}
    for mutant, target in mutants:
        groups.setdefault(target.name.split(":")[0], []).append(mutant)
    for group in groups.values():
        rng.shuffle(group)
    chosen: list[Mutant] = []
    while len(chosen) < limit:
        for group in groups.values():
            if group and len(chosen) < limit:
                chosen.append(group.pop())
    return sorted(chosen, key=lambda m: (m.path, m.line))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", action="append", help="only these targets (name or path substring)")
    parser.add_argument("--skip", action="append", help="leave out these targets (name or path substring)")
    parser.add_argument("--max-mutants", type=int, help="run at most this many (a seeded sample over the files)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--timeout", type=float,
                        help="seconds per mutant (default: 3 × the unmutated run of its tests, at least 60)")
    parser.add_argument("--match", action="append",
                        help="only mutants whose 'path:line function: mutation' contains this text")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)

    targets = TARGETS + scope_targets()
    if args.target:
        targets = [t for t in targets if any(t.name.startswith(w) or w in t.path for w in args.target)]
    if args.skip:
        targets = [t for t in targets if not any(t.name.startswith(w) or w in t.path for w in args.skip)]
    everything: list[tuple[Mutant, Target]] = []
    for target in targets:
        everything += [(m, target) for m in mutants_of(target)]
    if args.match:
        everything = [(m, t) for m, t in everything if any(w in m.label for w in args.match)]
    target_of = {id(m): t for m, t in everything}
    chosen = sample(everything, args.max_mutants, args.seed)
    print(f"{len(everything)} mutants in {len(targets)} targets; running {len(chosen)}", flush=True)
    if args.list:
        try:
            for m in chosen:
                print(f"  {m.label}")
        except BrokenPipeError:  # piped into head
            pass
        return 0

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up the scratch copy when stopped
    scratch = make_scratch()
    results: dict[str, list[Mutant]] = {"killed": [], "survived": [], "timeout": [], "equivalent": []}
    timings: dict[tuple[str, ...], float] = {}
    started = time.monotonic()
    try:
        for n, mutant in enumerate(chosen, 1):
            target = target_of[id(mutant)]
            file = scratch / mutant.path
            original = file.read_text()
            mutated = mutant.apply(original)
            try:
                ast.parse(mutated)
            except SyntaxError:
                print(f"[{n}/{len(chosen)}] skipped (does not parse): {mutant.path}:{mutant.line} {mutant.description}")
                continue
            tests = covering_tests(target)
            if tuple(tests) not in timings:
                timings[tuple(tests)] = baseline(scratch, tests, 3600)
                print(f"  (unmutated: {' '.join(tests)} pass in {timings[tuple(tests)]:.0f} s)", flush=True)
            limit = args.timeout or max(60.0, 3 * timings[tuple(tests)])
            file.write_text(mutated)
            try:
                outcome = run_tests(scratch, tests, limit)
            finally:
                file.write_text(original)
            if outcome == "survived" and mutant.key in EQUIVALENT:
                outcome = "equivalent"
            results[outcome].append(mutant)
            print(f"[{n}/{len(chosen)}] {outcome:10} {mutant.label}", flush=True)
    finally:
        shutil.rmtree(scratch.parent, ignore_errors=True)

    killed, survived, timed_out = len(results["killed"]), len(results["survived"]), len(results["timeout"])
    counted = killed + survived + timed_out
    rate = 100.0 * (killed + timed_out) / counted if counted else 100.0
    print(f"\nkilled {killed}, survived {survived}, timed out {timed_out}, equivalent {len(results['equivalent'])}"
          f" — kill rate {rate:.1f}% of {counted} non-equivalent mutants ({time.monotonic() - started:.0f} s)")
    if results["survived"]:
        print("\nSurvivors (add a test, or an EQUIVALENT entry with the reason):")
        for m in results["survived"]:
            print(f"  {m.label}")
    return 0 if not results["survived"] else 1


if __name__ == "__main__":
    sys.exit(main())
