"""Names the kernel side and the server side share on the wire (docs/protocol.md)."""

MARKER_COMM = "jupyter_carbon.metered"
"""The comm id on which a kernel running the IPython extension says, at each cell's start,
that it records that cell itself (parent: the cell's ``execute_request``). A server that
meters kernels from outside then records nothing for that cell. No frontend opens this
comm; frontends ignore messages of comms they do not hold."""
