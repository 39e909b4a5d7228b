"""Everything that runs inside an IPython kernel: the extension and the views it serves.

``extension`` (the per-shell service: hooks, session, zone, reports), ``magics``
(``%%carbon``, ``%carbon``), ``cellmagic`` (the input transformer for ``%%carbon``),
``comm`` (the channel to JupyterLab), ``widget`` (the ipywidgets live meter) and
``headless`` (the kernel half of ``jupyter carbon run``). Nothing here imports the command
line, nor the command line anything here.
"""
