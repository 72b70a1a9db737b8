"""The findings cache of validation (`kg.validate.cache`): SHACL and the QC queries run
once per graph, shapes, queries and code; a hit reports what a full run reports, with
the locations of the project at hand; any doubt is a full run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg.validate.checks
import kg.validate.vocabulary
from kg.build.dataset import build, build_streamed, load_inputs
from kg.cli import main
from kg.validate import cache as validate_cache
from kg.validate.checks import build_project, validate

# One more shape, which the seed breaks: measure 1 of case gd-b3-04 may have no ordinal.
EXTRA_SHAPE = """
<https://w3id.org/renda-kg/shapes#TestNoOrdinal> a sh:NodeShape ;
    sh:targetNode <https://w3id.org/renda-kg/case/gd-b3-04/measure/1> ;
    sh:property [ sh:path rkg:ordinal ; sh:maxCount 0 ; sh:message "test shape: no ordinal" ] .
"""


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(validate_cache.ENV, str(folder))
    return folder / "validate"


def _validate(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "--root", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def _entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.json"))


def _no_shacl(monkeypatch) -> None:
    """From here on, running SHACL or the QC queries fails the test."""

    def refuse(*_):
        raise AssertionError("validation ran again on a graph it had judged")

    monkeypatch.setattr(kg.validate.checks, "shacl_findings", refuse)
    monkeypatch.setattr(kg.validate.checks, "qc_findings", refuse)


def test_a_graph_validated_before_is_not_validated_again(project, cache_dir, monkeypatch):
    first = _validate(project)
    assert first[0] == 0 and "valid: 0 error(s)" in first[1], first[1]
    assert len(_entries(cache_dir)) == 1
    _no_shacl(monkeypatch)
    assert _validate(project) == first


def test_a_hit_reports_what_a_full_run_reports_at_the_projects_own_paths(
    project, tmp_path, cache_dir, monkeypatch
):
    with (project / "ontology" / "shapes.ttl").open("a", encoding="utf-8") as shapes:
        shapes.write(EXTRA_SHAPE)
    status, output = _validate(project)
    assert status == 1 and "test shape: no ordinal" in output, output
    assert str(project / "data" / "cases" / "gd-b3-04.yaml") in output
    # the same graph in another folder: found in the cache, reported at its own files
    other = tmp_path / "elsewhere"
    shutil.copytree(project, other)
    _no_shacl(monkeypatch)
    assert _validate(other) == (1, output.replace(str(project), str(other)))
    assert len(_entries(cache_dir)) == 1


def test_a_build_without_an_rdflib_dataset_is_judged_as_one_with_it(project, cache_dir, tmp_path):
    """`kg build`, `kg run` and `kg validate` validate a streamed build (plain sets of
    triples; an rdflib graph is made only when SHACL runs), `build_project` an rdflib
    dataset: the same graph, the same findings at the same record fields, computed or
    kept."""
    with (project / "ontology" / "shapes.ttl").open("a", encoding="utf-8") as shapes:
        shapes.write(EXTRA_SHAPE)
    inputs = load_inputs(project)
    whole, streamed = build(inputs), build_streamed(inputs, keep_graphs=True)
    union = streamed.union()
    assert set(union) == set(whole.union())
    assert dict(union.namespaces()) == dict(whole.union().namespaces())
    assert streamed.origins == whole.origins
    expected = validate(whole).text()
    assert "test shape: no ordinal" in expected and "gd-b3-04.yaml" in expected
    assert validate(streamed).text() == expected
    for _ in ("computed", "kept"):
        assert validate(streamed, cache=True).text() == expected
    assert len(_entries(cache_dir)) == 1
    out = tmp_path / "build"
    built = CliRunner().invoke(main, ["build", "--root", str(project), "--out", str(out)])
    assert built.exit_code == 1 and expected in built.output, built.output
    assert not out.exists()
    assert _validate(project) == (1, expected + "\n")
    with pytest.raises(ValueError, match="keep_graphs"):
        build_streamed(inputs).union()


def _key(root: Path) -> str:
    return validate_cache.key(build_project(root, check=False)[0])


def test_the_key_is_the_graph_the_shapes_the_queries_and_the_code(project, tmp_path, monkeypatch):
    seed = _key(project)
    other = tmp_path / "elsewhere"
    shutil.copytree(project, other)
    assert _key(other) == seed  # the same inputs in another folder
    shapes = other / "ontology" / "shapes.ttl"
    shapes.write_text(shapes.read_text(encoding="utf-8") + EXTRA_SHAPE, encoding="utf-8")
    keys = {seed, _key(other)}
    (other / "ontology" / "qc" / "a-new-check.rq").write_text(
        'SELECT ?case WHERE { ?case dcterms:identifier "gd-b3-01" }\n', encoding="utf-8"
    )
    keys.add(_key(other))
    case = other / "data" / "cases" / "gd-b3-04.yaml"
    case.write_text(
        case.read_text(encoding="utf-8").replace(
            "  en: Innovating a mechanism", "  en: Changed, innovating a mechanism"
        ),
        encoding="utf-8",
    )
    keys.add(_key(other))
    assert len(keys) == 4
    monkeypatch.setattr(validate_cache, "code_digest", lambda: "another version of kg")
    assert _key(project) not in keys


def test_a_damaged_or_foreign_entry_is_not_trusted(project, cache_dir):
    entry = _key(project)
    for damage in ("{not json", '{"format": 99, "findings": {}}', "[]", '{"format": 1}'):
        cache_dir.mkdir(parents=True, exist_ok=True)
        (cache_dir / f"{entry}.json").write_text(damage, encoding="utf-8")
        assert validate_cache.load(cache_dir, entry) is None, damage
    status, output = _validate(project)  # a full run, which writes the entry again, whole
    assert status == 0 and "12 QC queries run" in output, output
    assert validate_cache.load(cache_dir, entry)["qc"]


def test_an_unwritable_cache_only_means_no_cache(project, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"  # where the cache folder should be: no one can write there
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(validate_cache.ENV, str(blocker))
    status, output = _validate(project)
    assert status == 0 and "12 QC queries run" in output, output
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_the_cache_keeps_only_the_newest_entries(cache_dir):
    for n in range(validate_cache.KEEP + 5):
        validate_cache.save(cache_dir, f"{n:032x}", {"shacl": [], "qc": {}})
    kept = _entries(cache_dir)
    assert len(kept) == validate_cache.KEEP
    assert f"{validate_cache.KEEP + 4:032x}.json" in kept and f"{0:032x}.json" not in kept


def test_the_vocabulary_lint_is_kept_by_its_files_bytes(project, cache_dir, monkeypatch):
    """The lint's problems (file, line, field, hint) come back from the cache while the
    vocabulary files are the same bytes; an edit is a miss, and so is a moved project."""
    vocab = project / "data" / "vocab" / "mechanisms.ttl"
    text = vocab.read_text(encoding="utf-8")
    label = 'skos:prefLabel "约谈"@zh, "admonitory talk"@en ;'
    vocab.write_text(text.replace(label, 'skos:prefLabel "admonitory talk"@en ;'), "utf-8")
    first = _validate(project)
    assert first[0] == 1 and "mechanisms.ttl:" in first[1] and "admonitory-talk" in first[1]

    def refuse(*_):
        raise AssertionError("the vocabulary lint ran again on files it had judged")

    real = kg.validate.vocabulary.check_vocabulary
    monkeypatch.setattr(kg.validate.vocabulary, "check_vocabulary", refuse)
    assert _validate(project) == first
    moved = project.parent / "moved"
    shutil.copytree(project, moved)
    with pytest.raises(AssertionError, match="ran again"):
        build_project(moved, cache=True)
    vocab.write_text(text, "utf-8")
    with pytest.raises(AssertionError, match="ran again"):
        build_project(project, cache=True)
    monkeypatch.setattr(kg.validate.vocabulary, "check_vocabulary", real)
    assert _validate(project)[0] == 0


def test_a_lint_entry_of_another_shape_is_linted_again(project, cache_dir):
    first = _validate(project)
    (entry,) = (cache_dir.parent / "lint").glob("*.json")
    entry.write_text('{"format": 1, "findings": {"vocabulary": [{"no": "such field"}]}}')
    assert _validate(project) == first
    assert "such field" not in entry.read_text(encoding="utf-8")
