"""The order in which the test files are handed to ``make``'s workers, and the compiled step
warmed before them."""

from __future__ import annotations

#: ``make test`` runs the files on every core, a whole file to a worker at a time (pytest-xdist's
#: ``--dist loadfile``), in the order collected (``--no-loadscope-reorder``; ``make test-all``
#: keeps xdist's order, the files with most tests first). A long file handed out last keeps its
#: worker busy after the other has run out (test_tracking.py, then one file of 59 CPU s, started
#: a third into the run, left the other worker idle for its last quarter): the files whose tests
#: take longest come first, longest first, the others after them in the order of their names.
#: CPU seconds of their tests in the fast lane, 2026-12-03.
LONGEST_FIRST = (
    "test_tracking.py",  # 23: three IRBM runs, and one fed in chunks to two trackers
    "test_flight.py",  # 16-24: the planner solving
    "test_tracking_separation.py",  # 15
    "test_scenario.py",  # 9: the determinism runs
    "test_assess.py",  # 8
    "test_tracking_objects.py",  # 8
    "test_tracking_boost.py",  # 7
)


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    # A stable sort: within a file, and among the files not named, the order is unchanged.
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def pytest_configure(config):
    """Compile the flight model's step (``lookout.physics.compiled``), the assessment's
    flights to the ground (``lookout.assess.compiled_ground``), the tracker's prediction
    (``lookout.tracking.compiled``, the IMM's ``compiled_imm``, the formations'
    ``compiled_formations``) and the fusion's weight search
    (``lookout.picture.compiled``) once, before any test runs:
    numba keeps them on disk, so the workers (``make``'s xdist processes) and the processes
    the tests start load them rather than each compiling them (some 3, 4, 8 and 15 CPU s)
    inside a test, and inside a test's clock."""
    if hasattr(config, "workerinput"):  # an xdist worker: its controller has compiled it
        return
    from lookout.assess import compiled_ground
    from lookout.physics import compiled
    from lookout.picture import compiled as compiled_fusion
    from lookout.tracking import compiled_formations, compiled_imm

    compiled.warm()
    compiled_ground.warm()
    _warm_prediction()
    compiled_imm.warm()
    compiled_formations.warm()
    compiled_fusion.warm()


def _warm_prediction() -> None:
    """One tiny compiled prediction (``motion.propagate``), its drag tables' shape included,
    the association's distances (``compiled.mode_distances``), the measurement models and the
    EKF update (``compiled.radar_measure``, ``infrared_measure``, ``ekf_update``) and the
    altitudes of positions strided in states (``compiled.altitudes`` of a layout of its
    own)."""
    import numpy as np

    from lookout.tracking import compiled, drag, motion

    x = np.zeros((1, motion.NX))
    x[0, 0], x[0, 4], x[0, motion.KAPPA] = 6.4e6, 7e3, 1.0
    P = np.eye(motion.NX)[None]
    motion.propagate(x, np.ones(1), cd_shape=drag.cd_shape(x, P, np.ones(1, dtype=bool)))
    compiled.mode_distances(np.eye(4)[None], np.eye(4)[None], np.zeros((1, 1, 4)))
    x6 = np.zeros((1, motion.NX))
    x6[0, 0] = 7e6
    for m in (2, 3, 4):
        zh, H = compiled.radar_measure(x6, np.zeros(3), np.zeros(3), np.eye(3), max(m, 3))
        R = np.eye(m)[None].copy()
        z = zh[:, :m].copy()
        compiled.ekf_update(x6, P.copy(), z, H[:, :m].copy(), z, R, 0)
    compiled.infrared_measure(x6, np.zeros(3))
    motion.altitude_approx(x[:, 0:3])
