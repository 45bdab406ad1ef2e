"""The edges that run the pipeline: the coalition's run defaults (``defaults``), the embedded
run in one process (``demo``), the distributed processes (``service``, ``picture_workers``),
the warnings' judge over a run (``warn_run``), the web server's jobs (``web_run``), the live
terminal view (``terminal``) and the maps and plots (``plots``). Everything below (the stages,
the exchange, the picture, the outputs) knows nothing of them; only ``lookout.cli`` and
``lookout.bench`` import them.
"""
