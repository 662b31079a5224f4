#!/usr/bin/env python3
"""Fails when a type is declared with a name that does not start with a capital letter.

The project's one naming style (docs/contributing.md): types in CamelCase; functions, variables,
enumerators and namespaces in snake_case; macros in upper case. This checks the part a reader sees first,
the types: every class, struct, union, enum and alias declared under include/, tools/, tests/, bench/,
examples/ and src/. A system type named in an elaborated specifier (`struct stat st;`) is a use, not a
declaration, and is left alone.

    python3 scripts/check_naming.py [ROOT]      check the tree (default: this script's repository)
    python3 scripts/check_naming.py --self-test show that each kind of declaration is caught
"""
import pathlib
import re
import sys
import tempfile

FOLDERS = ("include", "tools", "tests", "bench", "examples", "src")
SOURCE_SUFFIXES = {".hpp", ".cpp", ".h", ".cc"}
SKIPPED_PARTS = {"node_modules"}
# Names the standard library looks up by spelling (a transparent comparator, an iterator's traits).
STANDARD_NAMES = {"is_transparent", "value_type", "difference_type", "pointer", "reference", "iterator_category"}

# A declaration: the keyword, the name, then what only a declaration has after it: a body, a base list,
# `final`, a forward declaration's semicolon, or an enum's underlying type.
TYPE_DECLARATION = re.compile(
    r"^\s*(?:template\s*<[^>]*>\s*)?(?:struct|class|union|enum(?:\s+class)?)\s+(?:alignas\([^)]*\)\s+)?"
    r"([A-Za-z_]\w*)\s*(?:final\s*)?(?:\{|:(?!:)|;|$)",
    re.MULTILINE,
)
ALIAS_DECLARATION = re.compile(r"^\s*(?:__extension__\s+)?using\s+([A-Za-z_]\w*)\s*=", re.MULTILINE)
RAW_STRING = re.compile(r'R"\((?:.|\n)*?\)"')
LINE_COMMENT = re.compile(r"//[^\n]*")


def sources(root):
    for folder in FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and path.is_file() and not SKIPPED_PARTS & set(path.parts):
                yield path


def without_comments_and_raw_strings(text):
    """Code in comments and in raw strings (test snippets) keeps its line numbers but is not checked."""
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))
    return LINE_COMMENT.sub(blank, RAW_STRING.sub(blank, text))


def misnamed_types(path):
    text = without_comments_and_raw_strings(path.read_text(encoding="utf-8", errors="replace"))
    for pattern in (TYPE_DECLARATION, ALIAS_DECLARATION):
        for match in pattern.finditer(text):
            name = match.group(1)
            if not name[0].isupper() and name not in STANDARD_NAMES:
                line = text.count("\n", 0, match.start(1)) + 1
                yield line, name


def check(root):
    breaches = []
    for path in sources(root):
        for line, name in misnamed_types(path):
            breaches.append(f"{path.relative_to(root)}:{line}: type '{name}' is not CamelCase")
    return breaches


def self_test():
    cases = {
        "struct lower_struct {};": 1,
        "class lower_class : public Base {};": 1,
        "enum class lower_enum : int { a };": 1,
        "union lower_union { int a; };": 1,
        "using lower_alias = int;": 1,
        "template <typename T>\nstruct lower_template {};": 1,
        "struct alignas(64) lower_aligned {};": 1,
        "struct forward_declared;": 1,
        "struct Fine {}; enum class Kind { lower_enumerator }; using Alias = int;": 0,
        "struct stat st; struct sigaction action{};": 0,
        "// struct in_a_comment {};": 0,
        'const char* snippet = R"(struct in_a_raw_string {};)";': 0,
        "void f() { using namespace std; }": 0,
        "struct Less { using is_transparent = void; };": 0,
    }
    failures = []
    with tempfile.TemporaryDirectory() as scratch:
        root = pathlib.Path(scratch)
        (root / "include").mkdir()
        for index, (code, expected) in enumerate(cases.items()):
            path = root / "include" / f"case_{index}.hpp"
            path.write_text(code + "\n")
            found = len(list(misnamed_types(path)))
            if found != expected:
                failures.append(f"{code!r}: {found} found, {expected} expected")
    for failure in failures:
        print(f"check_naming self-test: {failure}", file=sys.stderr)
    print(f"check_naming self-test: {len(cases) - len(failures)} of {len(cases)} cases as expected")
    return 1 if failures else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    root = pathlib.Path(argv[1]) if len(argv) > 1 else pathlib.Path(__file__).resolve().parent.parent
    breaches = check(root)
    for breach in breaches:
        print(breach, file=sys.stderr)
    print(f"check_naming: {len(breaches)} type{'' if len(breaches) == 1 else 's'} not in CamelCase")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
