"""Every failure path writes atomically: killed or failed runs leave the last good output.

`kg build` writes its files into a new generation folder and switches them in by one
rename (build/.kg-current -> .kg-generations/<digest>; build/kg.ttl and build/kg.trig
are links through it). It is killed (SIGKILL) at several delays while it builds a
changed project, and killed at each rename, link and removal of its write step in
turn, starting from each layout build/ can have (generations, regular files of an
older version, a copy made with `cp -rL`); it is failed by a folder where build/kg.trig
should be, by a full disk on the second file, and by a serializer that raises. After
each, build/kg.ttl and build/kg.trig are both the previous good build or both the new
one, and the next good run leaves exactly the new build and no temporary behind.
Exports, views and ingest are failed the same way.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

import kg.analysis.patterns
import kg.build.generations
import kg.build.publish
import kg.core.textio
import kg.query.index
from kg.analysis.patterns import find_patterns
from kg.ingest import ingest_notice
from kg.query.index import compute_index

from .conftest import FIXTURES, Built, accepted, refused, run, snapshot

KG = Path(sys.executable).with_name("kg")
TITLE_EN = "  en: Innovating a mechanism"
OUTPUTS = ("kg.trig", "kg.ttl")


def _change(built: Built) -> None:
    """Change the data so that the next build differs from the one in build/."""
    built.edit("data/cases/gd-b3-04.yaml", TITLE_EN, "  en: Changed, innovating a mechanism")


def _changed_trig(built: Built) -> Path:
    """The build with every English title changed: each export and page differs."""
    text = built.trig.read_text(encoding="utf-8")
    assert "Innovating a mechanism" in text
    path = built.root / "changed.trig"
    path.write_text(text.replace('"Innovating', '"Changed, innovating'), encoding="utf-8")
    return path


def _once(function):
    """`function`, called once: later calls (on the same graph) get the first answer."""
    answers: list = []

    def first(*args, **kwargs):
        if not answers:
            answers.append(function(*args, **kwargs))
        return answers[0]

    return first


def _temps(folder: Path) -> list[str]:
    """Every temporary (file, folder or link) anywhere under `folder`, hidden ones too."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.tmp"))


def _public(files: dict[str, bytes]) -> dict[str, bytes]:
    """What a reader sees: the paths with no hidden part (read through the links)."""
    return {k: v for k, v in files.items() if not any(p.startswith(".") for p in k.split("/"))}


def _visible(folder: Path) -> dict[str, bytes]:
    return _public(snapshot(folder))


def _assert_generation_layout(folder: Path) -> None:
    """kg.ttl and kg.trig are relative links through .kg-current to the one generation."""
    for name in OUTPUTS:
        assert (folder / name).is_symlink(), f"{name} is not a link"
        assert os.readlink(folder / name) == f".kg-current/{name}"
    current = folder / ".kg-current"
    assert current.is_symlink(), ".kg-current is not a link"
    target = os.readlink(current)
    assert not os.path.isabs(target) and target.startswith(".kg-generations/"), target
    assert os.listdir(folder / ".kg-generations") == [target.split("/", 1)[1]]


@pytest.fixture(scope="module")
def changed_builds(good_build: Path, tmp_path_factory) -> tuple[dict, dict, float]:
    """(old build/, new build/, seconds a build of the change takes in a fresh process),
    made once for the module: every test of it changes the project the same way.

    The old build/ is a copy of the good one made like the `built` fixture's, which
    dereferences links like `cp -rL`; the new one is written by `kg build` into an empty
    folder, twice: the second run (validation findings cached by the first, as for the
    runs the tests kill) gives the time, and both runs give the same bytes.
    """
    root = tmp_path_factory.mktemp("changed") / "project"
    shutil.copytree(good_build, root)
    built = Built(root)
    old = snapshot(built.build)
    _change(built)
    kg_build = [KG, "build", "--root", root, "--out"]
    subprocess.run([*kg_build, root / "first"], check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run([*kg_build, root / "new"], check=True, capture_output=True)
    seconds = time.perf_counter() - started
    new = snapshot(root / "new")
    assert snapshot(root / "first") == new
    assert _public(old).keys() == _public(new).keys() == set(OUTPUTS)
    assert all(_public(old)[name] != _public(new)[name] for name in OUTPUTS)
    _assert_generation_layout(root / "new")
    return old, new, seconds


@pytest.fixture
def generations(built: Built, changed_builds) -> tuple[dict, dict, float]:
    """`changed_builds`, with the same change made to this test's project."""
    assert snapshot(built.build) == changed_builds[0]
    _change(built)
    return changed_builds


def _kill_at_moments(
    args: list, seconds: float, after_each, fractions=(0.5, 0.9, 1.0)
) -> list[int]:
    """Run `kg *args` and SIGKILL it at `fractions` of `seconds`; call after_each() each time.
    A few moments suffice: the build's write step is also killed at each of its file-system
    changes in turn (`test_sigkill_at_each_step_of_the_switch`)."""
    outcomes = []
    for fraction in fractions:
        proc = subprocess.Popen(
            [KG, *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(seconds * fraction)
        proc.send_signal(signal.SIGKILL)
        outcomes.append(proc.wait())
        after_each()
    return outcomes


def test_sigkill_at_many_moments_leaves_one_whole_build(built: Built, generations):
    old, new, seconds = generations

    def one_build() -> None:
        assert _visible(built.build) in (_public(old), _public(new)), "build/ mixes two builds"

    args = ["build", "--root", built.root, "--out", built.build]
    fractions = (0.3, 0.8, 0.95, 1.05)
    outcomes = _kill_at_moments(args, seconds, one_build, fractions)
    assert -signal.SIGKILL in outcomes, "no run was killed before it finished"
    accepted(run("build", "--root", built.root, "--out", built.build))
    assert snapshot(built.build) == new
    assert _temps(built.build) == []
    _assert_generation_layout(built.build)


# The write step of `kg build`, killed at its n-th file-system change for n = 1, 2, ...
# The project is built once; each run forks, counts the changes its write step makes
# (renames, links, removals) and kills itself (SIGKILL) just before the n-th. Each run
# starts from its own copy of the same old build/, and the runs stop at the first n the
# write step outlives. Prints [n, exit status] lines as JSON. The files are rendered
# once (`_RENDER_ONCE`), and so are the index and the report written after them (by a
# first build, before the forks): what is under test is how they are switched in.
_RENDER_ONCE = """
import kg.analysis.patterns, kg.build.publish, kg.query.index
from kg.build.dataset import output_files

def once(function):
    answers = []
    def first(*args, **kwargs):
        if not answers:
            answers.append(function(*args, **kwargs))
        return answers[0]
    return first

def render_once(result, scratch):
    rendered = output_files(result, Path("."))
    kg.build.publish.output_files = lambda _, out: [(out / p.name, b) for p, b in rendered]
    kg.query.index.compute_index = once(kg.query.index.compute_index)
    kg.analysis.patterns.find_patterns = once(kg.analysis.patterns.find_patterns)
    write_build(result, scratch)
"""
_KILL_AT_EACH_STEP = (
    """
import json, os, shutil, signal, sys
from pathlib import Path
from kg import build_project, write_build
"""
    + _RENDER_ONCE
    + """
root, old, work = (Path(a) for a in sys.argv[1:4])
result, _ = build_project(root, check=False)
render_once(result, work / "first")
changes = {name: getattr(os, name) for name in
           ("symlink", "replace", "rename", "link", "unlink", "rmdir")}
runs = []
for n in range(1, 200):
    out = work / f"step-{n}"
    shutil.copytree(old, out, symlinks=True)
    pid = os.fork()
    if pid == 0:
        done = [0]
        def counted(change):
            def step(*args, **kwargs):
                done[0] += 1
                if done[0] == n:
                    os.kill(os.getpid(), signal.SIGKILL)
                return change(*args, **kwargs)
            return step
        for name, change in changes.items():
            setattr(os, name, counted(change))
        try:
            write_build(result, out)
        except BaseException as exc:
            print(repr(exc), file=sys.stderr, flush=True)
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    runs.append([n, os.waitstatus_to_exitcode(status)])
    if runs[-1][1] != -signal.SIGKILL:
        break
print(json.dumps(runs))
"""
)


def _old_layout(built: Built, old: dict[str, bytes], layout: str, folder: Path) -> Path:
    """build/ holding the old build in `layout`, at `folder`."""
    if layout == "dereferenced-copy":  # what the `built` fixture made: copytree, `cp -rL`
        shutil.copytree(built.build, folder, symlinks=True)
        assert (folder / ".kg-current").is_dir() and not (folder / ".kg-current").is_symlink()
        return folder
    folder.mkdir()
    if layout == "regular-files":  # the layout of versions before generation folders
        for name in OUTPUTS:
            (folder / name).write_bytes(old[name])
    else:
        kg.build.generations.publish_generation(folder, [(name, old[name]) for name in OUTPUTS])
        _assert_generation_layout(folder)
    return folder


@pytest.mark.parametrize("layout", ["generations", "regular-files", "dereferenced-copy"])
def test_sigkill_at_each_step_of_the_switch(
    built: Built, generations, tmp_path: Path, layout, monkeypatch
):
    """Killed before each rename, link or removal in turn: one whole build, then cleaned."""
    from kg import build_project, write_build
    from kg.build.dataset import output_files

    old, new, _ = generations
    template = _old_layout(built, old, layout, tmp_path / "old-build")
    assert _visible(template) == _public(old)
    work = tmp_path / "steps"
    work.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_AT_EACH_STEP, built.root, template, work],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = json.loads(proc.stdout.strip().splitlines()[-1])
    *killed, (last, status) = runs
    assert status == 0, f"the unkilled write step (n={last}) failed"
    assert len(killed) >= 5 and all(s == -signal.SIGKILL for _, s in killed), runs
    result, _ = build_project(built.root, check=False)
    rendered = output_files(result, Path("."))  # rendered once, as in the killed runs
    monkeypatch.setattr(
        kg.build.publish, "output_files", lambda _, out: [(out / p.name, b) for p, b in rendered]
    )
    # The index and the report of the one new graph, computed once for the many next
    # builds: what is under test is how they are written, and their bytes are checked
    # against those of `kg build` below.
    monkeypatch.setattr(kg.query.index, "compute_index", _once(compute_index))
    monkeypatch.setattr(kg.analysis.patterns, "find_patterns", _once(find_patterns))
    shown = []
    for n, _ in killed:
        out = work / f"step-{n}"
        files = _visible(out)
        assert files in (_public(old), _public(new)), f"killed at step {n}: build/ mixes builds"
        shown.append("old" if files == _public(old) else "new")
        write_build(result, out)  # the next build
        assert snapshot(out) == new, f"killed at step {n}: the next build left other files"
        assert _temps(out) == [], f"killed at step {n}: temporaries were not removed"
        _assert_generation_layout(out)
    assert "old" in shown and "new" in shown, f"no kill on one side of the switch: {shown}"
    assert shown == sorted(shown, key=["old", "new"].index), "the switch is not one step"
    out = work / f"step-{last}"
    assert snapshot(out) == new and _temps(out) == []
    _assert_generation_layout(out)


# Only renames into build/ count: a cache written on the way (validation findings for a
# graph this worker has not validated yet) renames its own files first.
_KILL_AT_RENAME = """
import os, signal, sys
out = os.path.abspath(sys.argv[2]) + os.sep
calls = 0
real = os.replace
def replace(src, dst):
    global calls
    if os.path.abspath(dst).startswith(out):
        calls += 1
        if calls == {n}:
            os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst)
os.replace = replace
from kg.cli import main
sys.argv = ["kg", "build", "--root", sys.argv[1], "--out", sys.argv[2]]
main()
"""


def _killed_at_rename(built: Built, n: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_AT_RENAME.format(n=n), built.root, built.build],
        capture_output=True,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]


def test_sigkill_after_the_files_are_written_but_before_any_rename(built: Built, generations):
    """The new files exist in full in a temporary folder; build/ still shows the old build."""
    old, new, _ = generations
    _killed_at_rename(built, 1)
    assert snapshot(built.build).items() >= old.items()
    assert _visible(built.build) == _public(old)
    left = _temps(built.build)  # left by the killed process: nothing can stop that
    assert len(left) == 1 and left[0].startswith(".kg-generations/.generation."), left
    staged = {k.rsplit("/", 1)[-1]: v for k, v in snapshot(built.build / left[0]).items()}
    assert staged == _public(new), "the staged files are not the whole new build"
    accepted(run("build", "--root", built.root, "--out", built.build))
    assert snapshot(built.build) == new
    assert _temps(built.build) == [], "stale temporaries of a killed build were not removed"


def test_an_older_layout_is_migrated(built: Built, generations):
    """Regular kg.ttl and kg.trig (an older version's build/) become links, other files stay."""
    old, new, _ = generations
    shutil.rmtree(built.build)
    build = _old_layout(built, old, "regular-files", built.build)
    (build / "views").mkdir()
    (build / "views" / "index.html").write_bytes(b"<p>views</p>")
    accepted(run("build", "--root", built.root, "--out", build))
    assert snapshot(build) == {**new, "views/index.html": b"<p>views</p>"}
    assert _temps(build) == []
    _assert_generation_layout(build)


def test_a_dereferenced_copy_is_migrated(built: Built, generations):
    """`cp -rL` made .kg-current a real folder and the outputs regular files."""
    old, new, _ = generations
    assert not (built.build / "kg.ttl").is_symlink()
    assert not (built.build / ".kg-current").is_symlink()
    accepted(run("build", "--root", built.root, "--out", built.build))
    assert snapshot(built.build) == new and _temps(built.build) == []
    _assert_generation_layout(built.build)


def test_a_dangling_current_link_is_repaired(built: Built, generations):
    old, new, _ = generations
    accepted(run("build", "--root", built.root, "--out", built.build))
    shutil.rmtree(built.build / ".kg-generations")  # by hand: kg.ttl and kg.trig dangle
    assert _visible(built.build) == {}
    accepted(run("build", "--root", built.root, "--out", built.build))
    assert snapshot(built.build) == new and _temps(built.build) == []
    _assert_generation_layout(built.build)


def test_the_same_build_again_changes_nothing(built: Built, generations):
    old, new, _ = generations
    accepted(run("build", "--root", built.root, "--out", built.build))
    trig = built.build / "kg.trig"
    os.utime(trig, (1, 1))
    accepted(run("build", "--root", built.root, "--out", built.build))
    assert snapshot(built.build) == new and _temps(built.build) == []
    assert trig.stat().st_mtime > 1, "the time stamp was not renewed (kg query warns)"


def test_the_build_folder_can_be_moved_copied_and_archived(built: Built, tmp_path: Path):
    accepted(run("build", "--root", built.root, "--out", tmp_path / "build"))
    shown = _visible(tmp_path / "build")
    moved = tmp_path / "moved"
    (tmp_path / "build").rename(moved)
    assert _visible(moved) == shown
    copied = shutil.copytree(moved, tmp_path / "copied", symlinks=True)  # cp -r, cp -a
    assert _visible(copied) == shown and (copied / "kg.ttl").is_symlink()
    dereferenced = shutil.copytree(moved, tmp_path / "dereferenced")  # cp -rL
    assert _visible(dereferenced) == shown and not (dereferenced / "kg.ttl").is_symlink()
    archive = tmp_path / "build.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(moved, arcname="build")
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    assert _visible(tmp_path / "unpacked" / "build") == shown
    shutil.rmtree(moved)
    assert _visible(copied) == shown


def test_without_symbolic_links_the_files_are_replaced_one_by_one(built: Built, monkeypatch):
    """A file system without links (FAT, some shares): regular files and a warning."""

    def no_links(*args, **kwargs):
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(kg.build.generations.os, "symlink", no_links)
    out = built.root / "on-fat"
    with pytest.warns(UserWarning, match="no symbolic links"):
        accepted(run("build", "--root", built.root, "--out", out))
    assert sorted(snapshot(out)) == sorted(OUTPUTS)
    assert not any((out / name).is_symlink() for name in OUTPUTS)
    assert _visible(out) == _visible(built.build)


def test_a_folder_where_kg_trig_should_be(built: Built):
    old_ttl = (built.build / "kg.ttl").read_bytes()
    (built.build / "kg.trig").unlink()
    (built.build / "kg.trig").mkdir()
    _change(built)
    refused(
        run("build", "--root", built.root, "--out", built.build),
        "cannot write the build output",
        "Is a directory",
    )
    assert (built.build / "kg.ttl").read_bytes() == old_ttl, "kg.ttl was replaced anyway"
    assert (built.build / "kg.trig").is_dir()
    assert _temps(built.build) == []


@pytest.fixture
def disk_full_on(monkeypatch):
    """From the n-th fsync on, writing fails as on a full disk."""

    def arm(n: int) -> None:
        calls = {"n": 0}
        real = os.fsync

        def fsync(fd):
            calls["n"] += 1
            if calls["n"] >= n:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(fd)

        monkeypatch.setattr(kg.core.textio.os, "fsync", fsync)

    return arm


def test_a_full_disk_on_the_second_file(built: Built, disk_full_on):
    before = snapshot(built.build)
    _change(built)
    disk_full_on(2)
    refused(run("build", "--root", built.root, "--out", built.build), "No space left on device")
    assert snapshot(built.build) == before
    assert _temps(built.build) == []


def test_a_serializer_that_raises(built: Built, monkeypatch):
    import kg.build.serialize

    def broken(quads, fmt):
        raise RuntimeError("serializer failed")

    monkeypatch.setattr(kg.build.serialize, "write_quads", broken)
    before = snapshot(built.build)
    _change(built)
    result = run("build", "--root", built.root, "--out", built.build)
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    assert snapshot(built.build) == before
    assert _temps(built.build) == []


def test_export_csv_with_a_full_disk_replaces_no_table(built: Built, tmp_path: Path, disk_full_on):
    out = tmp_path / "csv"
    accepted(run("export", "--graph", built.trig, "--format", "csv", "--out", out))
    before = snapshot(out)
    disk_full_on(4)  # bodies, matrix and cases.csv (whose titles changed) come first
    refused(
        run("export", "--graph", _changed_trig(built), "--format", "csv", "--out", out, "--force"),
        "No space left on device",
    )
    assert snapshot(out) == before
    assert _temps(out) == []


def test_render_with_something_in_the_way_writes_no_page(built: Built, tmp_path: Path):
    """The pages switch as one folder: a file, or a folder of someone else's files, where
    the pages should go is refused and left as it is."""
    blocked = tmp_path / "file"
    blocked.write_text("mine", encoding="utf-8")
    refused(run("render", "--graph", built.trig, "--out", blocked), "is a file")
    assert blocked.read_text(encoding="utf-8") == "mine"
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    refused(run("render", "--graph", built.trig, "--out", other), "cannot write the pages")
    assert snapshot(other) == {"notes.txt": b"mine"}
    assert _temps(tmp_path) == []


def test_render_replaces_a_damaged_set_whole(built: Built, tmp_path: Path):
    out = tmp_path / "views"
    accepted(run("render", "--graph", built.trig, "--out", out))
    before = snapshot(out)
    (out / "index.html").unlink()  # a page of the shown set is lost
    accepted(run("render", "--graph", built.trig, "--out", out))
    assert snapshot(out) == before
    assert out.is_symlink() and len(list(out.parent.glob(".views-generations/*"))) == 1


def test_ingest_with_a_full_disk_writes_no_draft(built: Built, disk_full_on):
    before = snapshot(built.root / "data")
    disk_full_on(4)
    result = run("ingest", FIXTURES / "notice-batch4.txt", "--root", built.root)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert snapshot(built.root / "data") == before
    assert _temps(built.root / "data") == []


def test_load_of_a_bad_file_creates_no_store(tmp_path: Path):
    bad = tmp_path / "bad.trig"
    bad.write_text('<http://example.org/g> { "lit" <http://example.org/p> "o" . }', "utf-8")
    refused(run("load", "--store", f"oxigraph:{tmp_path / 'store'}", "--graph", bad), "line 1")
    assert not (tmp_path / "store").exists()


def test_sigkill_during_render_shows_the_old_pages_or_the_new(built: Built, tmp_path: Path):
    """Item 7: views killed at any moment never mix old and new pages."""
    out, fresh = tmp_path / "views", tmp_path / "fresh"
    accepted(run("render", "--graph", built.trig, "--out", out))
    old = _visible(out)
    changed = _changed_trig(built)
    started = time.perf_counter()
    subprocess.run([KG, "render", "--graph", changed, "--out", fresh], check=True)
    seconds = time.perf_counter() - started
    new = _visible(fresh)
    assert old.keys() == new.keys() and old != new

    def one_set() -> None:
        assert _visible(out) in (old, new), "the views mix two renders"

    outcomes = _kill_at_moments(["render", "--graph", changed, "--out", out], seconds, one_set)
    assert -signal.SIGKILL in outcomes, "no run was killed before it finished"
    accepted(run("render", "--graph", changed, "--out", out))
    assert _visible(out) == new
    assert _temps(tmp_path) == []


def test_sigkill_during_ingest_leaves_nothing_accept_would_take(built: Built, tmp_path: Path):
    """Item 7: a killed ingest leaves the data as it was, or the whole set, or a partial
    set that --accept refuses (the source text is written last); the next ingest completes
    the set and removes the killed run's temporaries."""
    notice = FIXTURES / "notice-batch4.txt"
    data, pristine, scratch = built.root / "data", tmp_path / "pristine", tmp_path / "scratch"
    shutil.copytree(data, pristine)
    shutil.copytree(built.root, scratch, symlinks=True)
    # timed warm: the first ingest of a session may fit the learned layer and copy jieba's
    # dictionary, both then kept in the session's cache (kg.ingest.learned, .words)
    ingest_notice(notice, root=built.root, write=False)
    assert snapshot(data) == snapshot(pristine)  # it wrote nothing
    started = time.perf_counter()
    subprocess.run([KG, "ingest", notice, "--root", scratch], check=True, capture_output=True)
    seconds = time.perf_counter() - started
    before, whole = snapshot(pristine), snapshot(scratch / "data")
    args = ["ingest", notice, "--root", built.root]

    def files(folder: Path) -> dict[str, bytes]:
        return {k: v for k, v in snapshot(folder).items() if not k.endswith(".tmp")}

    def before_whole_or_refused() -> None:
        now = files(data)
        if now not in (before, whole):
            refused(run("ingest", "--accept", "--root", built.root))
            assert files(data) == now  # the refusal took nothing
        accepted(run(*args))  # the next run completes the set
        assert snapshot(data) == whole and _temps(data) == []
        shutil.rmtree(data)
        shutil.copytree(pristine, data)

    outcomes = _kill_at_moments(args, seconds, before_whole_or_refused)
    assert -signal.SIGKILL in outcomes, "no run was killed before it finished"


def test_a_killed_ingests_temporaries_go_with_the_next_run(built: Built):
    """Even when the next run finds every draft up to date and so writes nothing."""
    notice = FIXTURES / "notice-batch4.txt"
    accepted(run("ingest", notice, "--root", built.root))
    drafts = next((built.root / "data" / "drafts").iterdir())
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()  # a pid now unused
    left = [drafts / f".{p.name}.{dead}.x1y2z3.tmp" for p in sorted(drafts.glob("*.yaml"))[:2]]
    for path in left:
        path.write_text("half a draft", encoding="utf-8")
    assert "unchanged" in accepted(run("ingest", notice, "--root", built.root))
    assert _temps(built.root / "data") == []
