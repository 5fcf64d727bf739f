"""Build step that needs the token (a private index, a download): fails without it."""

import sys

if len(sys.argv) < 2 or not sys.argv[1]:
    sys.exit("warmup: no API_TOKEN")
print("warmup ok")
