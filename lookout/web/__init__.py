"""The live picture in a browser, and feeds for other systems.

:mod:`.history` (the picture as the page draws it, a log per view), :mod:`.server` (the page,
the JSON API and its streams, CAP over HTTP), :mod:`.alerts` (CAP documents and their Atom
index), :mod:`.cot` (Cursor-on-Target for TAK clients), :mod:`.sensors` (the sensors' layer),
:mod:`.live` (the taps on the exchange and the nodes), :mod:`.cesium` (the pinned CesiumJS).
Running all of it beside a demo, a replay, the exchange service or a node is
``lookout.app.web_run``.
"""
