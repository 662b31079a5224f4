#!/usr/bin/env python3
"""Sums doctest's test-case counts over every test program in a meson test log (testlog.json).

Prints `N passed, N failed`; a program that ended without doctest's summary line (a crash, a timeout)
counts as one failed test case. Exit status 1 when anything failed or no test case ran.
"""
import json
import re
import sys

SUMMARY = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")


def main(path):
    passed = failed = 0
    with open(path) as log:
        for line in log:
            if not line.strip():
                continue
            test = json.loads(line)
            output = (test.get("stdout") or "") + (test.get("stderr") or "")
            found = SUMMARY.findall(output)
            if found:
                _, ok, bad = map(int, found[-1])
                passed += ok
                failed += bad
                if bad == 0 and test.get("result") not in ("OK", "EXPECTEDFAIL"):
                    failed += 1  # the program failed after doctest's summary (a leak or sanitizer report)
            else:
                failed += 1
                print(f"{test.get('name')}: no doctest summary (result {test.get('result')})", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
