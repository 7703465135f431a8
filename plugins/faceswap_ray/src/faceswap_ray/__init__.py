"""faceswap-ray: batches, videos and evaluations on a Ray cluster (the ``ray`` runner).

The typed entry points are :func:`faceswap_ray.runner.connect` (a
:class:`~faceswap_core.interfaces.WorkRunner` for an address) and
:class:`faceswap_ray.jobs.RayJobs` (long jobs that outlive their submitter).
Importing this package does not import Ray.
"""
