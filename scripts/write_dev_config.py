"""Write a development instance/config.py with a random secret key (run by `make demo` once)."""

import secrets
import sys
from pathlib import Path

path = Path(sys.argv[1])
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(
    "# Development settings written by `make demo`. Not for production: see README.md.\n"
    f"SECRET_KEY = {secrets.token_urlsafe(48)!r}\n"
    "MAIL_BACKEND = 'console'  # print emails to the terminal instead of sending them\n"
    "DEV_MAIL_VIEWER = True  # read every email, with working links, at http://127.0.0.1:5000/dev/mail/\n"
)
print(f"Wrote {path}")
