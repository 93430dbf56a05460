"""``trails check``: the automated controls of the packs, evaluated on this host now.

``run.py`` selects and compiles the controls; an evaluator (``interface.Evaluator``)
runs each compiled query: ``reference.py`` through the collector's tables over a root
directory, ``osqueryi.py`` through a real ``osqueryi``.
"""
