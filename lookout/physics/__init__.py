"""The physical model the simulator and the filters share.

How a body moves near the rotating WGS84 Earth, with nothing of who launched it or who watches:
J2 gravity (``gravity``), the US 1976 atmosphere (``atmosphere``), the acceleration of the
rotating ECEF frame (``frame``), the one RK4 step (``integrate``), the vehicle catalogue and
its drag tables (``vehicles``), the equations of motion with thrust, drag and lift
(``dynamics``), the batch propagator with its events (``propagate``), its step compiled
(``compiled``), and the trajectories it writes (``trajectory``). ``lookout.flight`` plans
launches and flies them through this model; ``lookout.tracking`` and ``lookout.assess`` predict
with it. It imports only the shared modules (``lookout.geodesy``, ``lookout.errors``).
"""
