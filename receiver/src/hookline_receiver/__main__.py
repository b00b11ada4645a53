"""`python -m hookline_receiver listen PORT …`: a local receiver that verifies and prints."""

import sys

from hookline_receiver import listen

if len(sys.argv) < 2 or sys.argv[1] != "listen":
    sys.stderr.write(
        "usage: python -m hookline_receiver listen PORT [--secret S]... [--forward-to URL]\n"
    )
    sys.exit(2)
sys.exit(listen.main(sys.argv[2:]))
