import tempfile

with tempfile.NamedTemporaryFile() as f:  # the app writes only to /tmp
    f.write(b"x")
print("flask-style app ok")
