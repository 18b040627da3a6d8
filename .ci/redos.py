"""CI step: every regular expression under src/ scanned for ReDoS with regexploit; each finding fixed or explained.

Two sources of patterns:
- what ``regexploit-py`` itself reads: string literals passed to ``re.*`` and literals that look like patterns;
- every module-level compiled pattern of the ``gazette`` package, read from the imported module, so patterns
  built from f-strings or joined pieces (which regexploit cannot see in the source) are scanned too.

A finding is explained by a comment containing ``redos:`` (why the pattern is safe) on a line of the
statement that builds the pattern, or on a comment line just above it. regexploit 1.0 predates Python 3.11's
possessive quantifiers and atomic groups and cannot parse them; a compiled pattern it cannot parse is a finding
too. Prints every finding and exits 1 when one is unexplained.

    python .ci/redos.py [--min-starriness 2] [src]
"""

from __future__ import annotations

import argparse
import ast
import importlib
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from regexploit.ast.sre import SreOpParser
from regexploit.languages.python_node_visitor import PythonNodeVisitor
from regexploit.redos import find

MARK = "redos:"


@dataclass(frozen=True)
class Found:
    path: Path
    line: int  # first line of the statement that builds the pattern
    end: int  # its last line
    pattern: str
    flags: int
    compiled: bool  # certainly a pattern (not a literal that only looks like one)


def _explained(lines: list[str], found: Found) -> bool:
    statement = lines[found.line - 1 : found.end]
    above = lines[found.line - 2].strip() if found.line >= 2 else ""
    return any(MARK in line for line in statement) or (above.startswith("#") and MARK in above)


def literal_patterns(path: Path) -> list[Found]:
    tree = ast.parse(path.read_bytes())
    visitor = PythonNodeVisitor()
    visitor.visit(tree)
    ends = {
        node.lineno: getattr(node, "end_lineno", node.lineno)
        for node in ast.walk(tree)
        if hasattr(node, "lineno")
    }
    return [
        Found(path, rx.lineno, ends.get(rx.lineno, rx.lineno), rx.pattern, rx.flags, rx.definitely_regex)
        for rx in visitor.patterns
    ]


def _calls_re_compile(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Call) and (
        (isinstance(value.func, ast.Attribute) and value.func.attr == "compile")
        or (isinstance(value.func, ast.Name) and value.func.id == "compile")
    )


def compiled_patterns(path: Path, root: Path) -> list[Found]:
    """Module-level ``NAME = re.compile(...)`` (however the pattern is built), read from the imported module."""
    module_name = ".".join(path.relative_to(root).with_suffix("").parts)
    if module_name.endswith(".__init__"):
        module_name = module_name[: -len(".__init__")]
    tree = ast.parse(path.read_bytes())
    statements: dict[str, tuple[int, int]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and _calls_re_compile(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    statements[target.id] = (node.lineno, node.end_lineno or node.lineno)
    if not statements:
        return []
    module = importlib.import_module(module_name)
    out = []
    for name, (line, end) in statements.items():
        value = getattr(module, name, None)
        if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
            out.append(Found(path, line, end, value.pattern, value.flags & ~re.UNICODE, True))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Scan src/ for ReDoS with regexploit.")
    parser.add_argument("src", nargs="?", default="src")
    parser.add_argument(
        "--min-starriness",
        type=int,
        default=3,
        help="report backtracking at least this deep (regexploit's own report starts at 3: cubic and worse)",
    )
    args = parser.parse_args(argv)
    root = Path(args.src)
    sys.path.insert(0, str(root.resolve()))
    seen: set[tuple[Path, str]] = set()
    findings: list[tuple[Found, str]] = []
    scanned = 0
    for path in sorted(root.rglob("*.py")):
        for found in literal_patterns(path) + compiled_patterns(path, root):
            if (path, found.pattern) in seen:
                continue
            seen.add((path, found.pattern))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    parsed = SreOpParser().parse_sre(found.pattern, found.flags)
            except re.error:
                continue  # a literal that is no pattern at all
            except Exception as exc:  # regexploit cannot read it (possessive, atomic group)
                if found.compiled:
                    findings.append((found, f"regexploit cannot parse it ({type(exc).__name__}: {exc})"))
                continue
            scanned += 1
            for redos in find(parsed):
                if redos.starriness >= args.min_starriness:
                    findings.append((found, f"starriness {redos.starriness}, e.g. {redos.example()!r}"))
    unexplained = 0
    for found, what in findings:
        lines = found.path.read_text(encoding="utf-8").splitlines()
        ok = _explained(lines, found)
        unexplained += not ok
        status = "explained" if ok else "UNEXPLAINED"
        print(f"{found.path}:{found.line}: {status}: {found.pattern!r}: {what}")
    print(f"regexploit: {scanned} patterns scanned, {len(findings)} findings, {unexplained} unexplained")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
