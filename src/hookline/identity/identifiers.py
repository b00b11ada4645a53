"""What identifies a user: the three identifier fields, their types, and the forms Logto
accepts for them.

@logto/core-kit's expressions, with JavaScript's ASCII-only `\\w` and `\\d` spelled out.
"""

from __future__ import annotations

import re

# API field names, in the order Logto checks them on create.
IDENTIFIERS = ("username", "primaryEmail", "primaryPhone")
# The identifier types of the sign-in experience and the Experience API, and the user field
# each one fills.
PROFILE_FIELDS = {"username": "username", "email": "primaryEmail", "phone": "primaryPhone"}
IDENTIFIER_TYPES = tuple(PROFILE_FIELDS)

USERNAME = r"^[A-Z_a-z][0-9A-Z_a-z]*$"
EMAIL = r"^\S+@\S+\.\S+$"
PHONE = r"^[0-9]+$"
# The width of the columns identifiers are stored in.
MAX_LENGTH = 128

USERNAME_RE = re.compile(USERNAME)
EMAIL_RE = re.compile(EMAIL)
PHONE_RE = re.compile(PHONE)
