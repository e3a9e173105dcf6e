#!/bin/sh
# As the vendor's image does: the server runs as a child of sh (no exec), so a SIGTERM sent to this
# shell alone never reaches it. The chart's start script signals the whole process group instead.
python3 /opt/standin/sv-server.py
