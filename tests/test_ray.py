"""study.py --ray on a real Ray cluster, started by the test and stopped after it, inside a network
namespace of its own with only a loopback interface (Ray replaces 127.0.0.1 with the machine's
external address otherwise: ray-project/ray#26293) and a process namespace of its own (every process
of the cluster is the test's, and ends with it): the sweep gives the same table as on this machine,
its workers compute with the driver's oneDNN setting, and a worker killed mid-sweep loses no
finished cell and the rerun completes."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT

pytestmark = [pytest.mark.ray, pytest.mark.slow]
QUICK = "--set epochs=40 --set frames=4 --set grid_points=30 --no-progress"
# The cluster's node is started with TensorFlow's oneDNN kernels on, the study (here and on Ray) with
# them off: the workers must take the driver's setting, not their node's.
NODE_ONEDNN, DRIVER_ONEDNN = "1", "0"
NAMESPACES = ["unshare", "--net", "--pid", "--fork", "--mount-proc"]


def unavailable() -> str | None:
    """Why a Ray cluster cannot be started here, or None."""
    try:
        import ray  # noqa: F401  (only whether it imports)
    except ImportError:
        return "Ray is not installed: pip install -e '.[ray]'"
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        return ("network and process namespaces of its own (unshare --net --pid, as root) are needed to start a Ray "
                "cluster on loopback only")
    probe = subprocess.run([*NAMESPACES, "sh", "-c", "ip link set lo up"], capture_output=True)
    if probe.returncode != 0:
        return f"{' '.join(NAMESPACES)} failed here: {probe.stderr.decode().strip()}"
    return None


def require_namespaces() -> None:
    """Skip the test, saying why, where a cluster cannot be started here (unavailable); under
    CI=true fail it instead."""
    why = unavailable()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)


def write_grid(folder, learning_rates: str) -> str:
    """A study of a grid of learning rates and one experiment on a CSV beside the study file (its
    points must travel with the task: the workers see no file of this machine's)."""
    (folder / "points.csv").write_text("x,y\n" + "".join(f"{x / 10},{(x / 10) ** 2 - x / 5}\n" for x in range(40)))
    (folder / "points.yaml").write_text("data_file: points.csv\nhidden_layers: [10, 10]\n")
    path = folder / f"grid_{len(learning_rates)}.yaml"
    path.write_text(f"base: {ROOT / 'experiments' / 'adam_2x10.yaml'}\nseeds: 2\nexperiments: [points.yaml]\n"
                    f"grid:\n  learning_rate: {learning_rates}\n")
    return str(path)


@pytest.fixture(scope="module")
def swept_on_ray(tmp_path_factory):
    """One Ray cluster (a head of 2 CPUs) in namespaces of its own (only loopback; only its own
    processes, which end when it does), started and stopped by this fixture. In it: a study of 4
    cells (one on a CSV, three of a grid) whose worker is killed (kill -9, by its process id) once
    its first cell is on disk, and the same command again. Beside it, at the same time, the same
    study on this machine without Ray."""
    require_namespaces()
    folder = tmp_path_factory.mktemp("ray")
    ray = shutil.which("ray", path=os.path.dirname(sys.executable)) or "ray"
    # Ray's sockets live under its temp folder, whose path must stay short (a socket's is at most
    # 107 bytes): not under pytest's.
    sessions = f"/tmp/ray-tests-{os.getpid()}"
    study_command = f"{sys.executable} {ROOT / 'study.py'}"
    killed = write_grid(folder, "[0.01, 0.03, 0.1]")
    # The shell is the first process of its namespace: /proc lists the cluster's processes alone (so
    # `ray stop`, which ends Ray's processes by name, sees only these), and when the shell ends the
    # kernel ends whatever of the cluster is left.
    script = textwrap.dedent(f"""\
        ip link set lo up
        export RAY_USAGE_STATS_ENABLED=0
        TF_ENABLE_ONEDNN_OPTS={NODE_ONEDNN} {ray} start --head --port=6399 --num-cpus=2 --include-dashboard=false \\
            --disable-usage-stats --temp-dir={sessions} > head.log 2>&1 || exit 97
        trap '{ray} stop --force > /dev/null 2>&1' EXIT
        export RAY_ADDRESS=127.0.0.1:6399 TF_ENABLE_ONEDNN_OPTS={DRIVER_ONEDNN}
        {study_command} {killed} --ray auto --output-dir {folder / 'killed'} {QUICK} > first.out 2> first.err &
        sweep=$!
        for wait in $(seq 1500); do [ -f {folder}/killed/runs/points/summary.json ] && break; sleep 0.2; done
        sleep 1
        for process in /proc/[0-9]*; do  # the worker training a cell (Ray names it for its task)
            case "$(tr '\\0' ' ' < $process/cmdline 2> /dev/null)" in ray::train_payload*)
                tr '\\0' '\\n' < $process/environ | grep '^TF_ENABLE_ONEDNN_OPTS=' > worker_onednn.txt
                kill -9 ${{process#/proc/}} && echo killed > killed.txt;;
            esac
        done
        wait $sweep; echo $? > first.status
        {study_command} {killed} --ray auto --output-dir {folder / 'killed'} {QUICK} > again.out 2> again.err
        echo $? > again.status
        """)
    # The same study on this machine, meanwhile (the cluster's start and its waits leave a core free).
    here = subprocess.Popen([*study_command.split(), killed, "--output-dir", str(folder / "here"), *QUICK.split()],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=folder,
                            env=dict(os.environ, TF_ENABLE_ONEDNN_OPTS=DRIVER_ONEDNN))
    try:
        cluster = subprocess.run([*NAMESPACES, "sh", "-c", script], cwd=folder, capture_output=True, text=True,
                                 timeout=900)
        _, here_errors = here.communicate(timeout=600)
    finally:
        if here.poll() is None:
            here.kill()
            here.communicate()
        shutil.rmtree(sessions, ignore_errors=True)
    assert cluster.returncode == 0, cluster.stdout + cluster.stderr + (folder / "head.log").read_text()
    assert here.returncode == 0, here_errors
    return folder


def read(folder, name: str) -> str:
    return (folder / name).read_text()


def test_a_sweep_on_ray_gives_the_table_of_a_sweep_here(swept_on_ray):
    """Every cell, the one whose worker was killed and retried too, is bit for bit the cell
    trained on this machine (the same CPU, the same oneDNN setting: the driver's, which its
    workers take whatever their node's)."""
    folder = swept_on_ray
    assert "4 to train on Ray at auto" in read(folder, "first.out")
    assert read(folder, "worker_onednn.txt").strip() == f"TF_ENABLE_ONEDNN_OPTS={DRIVER_ONEDNN}"
    rows_here = json.loads(read(folder, "here/summary.json"))["rows"]
    assert json.loads(read(folder, "killed/summary.json"))["rows"] == rows_here
    assert read(folder, "killed/table.md") == read(folder, "here/table.md")
    # The CSV's cell names the file where this machine has it, not the worker's copy.
    csv = str((folder / "points.csv").resolve())
    assert f"data_file: {csv}" in read(folder, "killed/runs/points/config.yaml")
    assert json.loads(read(folder, "killed/runs/points/summary.json"))["data_file"] == csv
    for name in ("points", "lr0.01", "lr0.03", "lr0.1"):
        for file in ("snapshots.npz", "history.csv"):
            assert (folder / "killed" / "runs" / name / file).read_bytes() == \
                (folder / "here" / "runs" / name / file).read_bytes(), (name, file)


def test_a_worker_killed_mid_sweep_loses_no_finished_cell_and_the_rerun_completes(swept_on_ray):
    folder = swept_on_ray
    assert read(folder, "killed.txt").strip() == "killed", "a worker was killed while training a cell"
    assert read(folder, "again.status").strip() == "0", read(folder, "again.err")
    output = folder / "killed"
    assert (output / "runs" / "points" / "summary.json").is_file(), "the cell finished before the kill is kept"
    summary = json.loads((output / "summary.json").read_text())
    assert [row["experiment"] for row in summary["rows"]] == ["points", "lr0.01", "lr0.03", "lr0.1"]
    assert summary["missing"] == [] and summary["failed"] == {}
    # The killed task was retried (or, if the kill came between tasks, the sweep went on): the
    # first invocation ended by itself, and the second reused what it left.
    assert read(folder, "first.status").strip() in ("0", "1")
    reused = read(folder, "again.out").split(" reused")[0].rsplit(" ", 1)[-1]
    assert int(reused) >= 1


def test_ray_auto_with_no_cluster_to_reach_is_a_plain_error_and_writes_nothing(tmp_path):
    """--ray auto where no cluster runs (nothing is started: Ray only looks for one). In namespaces of
    its own: Ray looks for a cluster's processes too, and the fixture's may be running meanwhile."""
    require_namespaces()
    path = tmp_path / "grid.yaml"
    path.write_text(f"base: {ROOT / 'experiments' / 'adam_2x10.yaml'}\nseeds: 1\ngrid:\n  learning_rate: [0.01]\n")
    # RAY_TMPDIR: no address file that `ray start` left in /tmp/ray is found either.
    result = subprocess.run([*NAMESPACES, sys.executable, str(ROOT / "study.py"), str(path), "--ray", "auto",
                             "--output-dir", str(tmp_path / "out"), "--no-progress"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300,
                            env={**{key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"},
                                 "RAY_TMPDIR": str(tmp_path)})
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: --ray auto: cannot reach a Ray cluster there (")
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
