#!/usr/bin/env python3
"""Sums doctest's test-case counts over every test program in meson test logs (testlog.json files).

Prints `N passed, N failed`; a program that ended without doctest's summary line (a crash, a timeout)
counts as one failed test case, and so does one that failed after its summary (a sanitizer's report at
exit). A log that does not exist (its build failed, so none of its programs ran) counts as one failed test
case too. Exit status 1 when anything failed or no test case ran.
"""
import os
import json
import re
import sys

SUMMARY = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")


def tests_in(paths):
    for path in paths:
        with open(path) as log:
            for line in log:
                if line.strip():
                    yield json.loads(line)


def main(paths):
    passed = failed = 0
    missing = [path for path in paths if not os.path.exists(path)]
    for path in missing:
        failed += 1
        print(f"{path}: missing (the build failed, no test ran)", file=sys.stderr)
    for test in tests_in([path for path in paths if path not in missing]):
        output = (test.get("stdout") or "") + (test.get("stderr") or "")
        found = SUMMARY.findall(output)
        if not found:
            failed += 1
            print(f"{test.get('name')}: no doctest summary (result {test.get('result')})", file=sys.stderr)
            continue
        _, ok, bad = map(int, found[-1])
        passed += ok
        failed += bad
        if bad == 0 and test.get("result") not in ("OK", "EXPECTEDFAIL"):
            failed += 1
            print(f"{test.get('name')}: failed after its summary (result {test.get('result')})", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
