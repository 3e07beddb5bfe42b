"""gunicorn's settings for `make run` (and benchmarks/http.py, which measures them).

Two processes, four threads each (the gthread worker), connections kept open for 30 s; README.md
("The web server") gives the reasons and the figures.
"""
import os

# one process per core: a request is mostly Python (routing, the ORM, templates) holding its
# process's GIL, so more processes than cores only add switches and memory
workers = int(os.environ.get("WEB_WORKERS", os.cpu_count() or 2))
# threads: while one request waits for PostgreSQL (a few ms per page) another runs, and an idle
# keep-alive connection holds no process; the sync worker closes every connection after one response
worker_class = "gthread"
threads = 4
# behind no proxy the browsers talk to gunicorn directly: keep their connections (no new TCP
# connection per page or asset)
keepalive = 30
# no control socket: nothing uses it, and its default path is shared by every gunicorn on the machine
control_socket_disable = True
