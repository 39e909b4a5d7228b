"""Names the kernel side and the server side share on the wire (docs/protocol.md)."""

MARKER_COMM = "jupyter_carbon.metered"
"""The comm id on which a kernel running the IPython extension says, at each cell's start,
that it records that cell itself (parent: the cell's ``execute_request``). A server that
meters kernels from outside then records nothing for that cell. No frontend opens this
comm; frontends ignore messages of comms they do not hold."""

METERING_SERVER_ENV = "JUPYTER_CARBON_METERING_SERVER"
"""Set in a Jupyter server's environment while its extension meters kernels from outside,
so that the kernels it starts inherit it: only those need the marker above. A kernel that no
such server started (nbclient, a terminal, a server without the extension) sends none, and
saves each cell the IOPub message nobody reads."""
