"""Energy of the work a cell sends to a cluster (Dask first), charged to that cell.

One seam, three parts: a per-node meter run by the cluster's own plugin mechanism on every
node (:mod:`.node`, keeping timestamped cumulative readings in :mod:`.history`), a backend
that finds the kernel's client, installs that meter and reads it (:mod:`.base` says what a
backend answers; :mod:`.dask` is the first), and the cell edges on the kernel's side
(:mod:`.edges`), which turn the nodes' reports into a cell's cluster part. Nothing here is
imported until a kernel looks for a cluster, and looking imports no cluster library.
"""
