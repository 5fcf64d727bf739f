"""A docs/asset generator run as `docker run -v "$PWD:/work" tool`: it writes into the mounted volume."""

import sys

with open(sys.argv[1], "w") as out:
    out.write("rendered\n")
print("wrote", sys.argv[1])
