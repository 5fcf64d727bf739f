"""Answers like the app's /private endpoint: 200 with the right token in API_TOKEN, else 401.

Only the token's SHA-256 is here, so a scan of the image for the token finds nothing of the app's own.
"""

import hashlib
import os

WANT = "5ce437638072027b26b1a3b03c9bc5df0b7717b5da50938f59ba621faecd67ac"
token = os.environ.get("API_TOKEN", "").encode()
print(200 if hashlib.sha256(token).hexdigest() == WANT else 401)
