"""gunicorn settings for an app node: deploy/systemd/microdir-web.service starts gunicorn with ``--config`` this file.

Each worker opens and warms its search index after loading the app and before it accepts a request (gunicorn runs
``post_worker_init`` between the two): a new node's first searches at national size otherwise waited up to 2.9 s for
it. Warming must end within gunicorn's --timeout (30 s), which it does by a wide margin at national size.
"""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    from microdir.search import warm_before_traffic

    if not warm_before_traffic(worker.wsgi):
        worker.log.warning("No search index to warm on this node yet: searches answer 503 until it is built")
