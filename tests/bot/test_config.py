

def test_masking_is_off_only_for_a_benchmarks_own_data_dir(monkeypatch, tmp_path) -> None:
    import tempfile

    import pytest

    from bot.config import masking_off_for_benchmark

    monkeypatch.delenv("CANDOR_BENCH_MASKING", raising=False)
    assert masking_off_for_benchmark() is False
    monkeypatch.setenv("CANDOR_BENCH_MASKING", "off")
    monkeypatch.setenv("CANDOR_DATA_DIR", str(tmp_path / "var"))
    with pytest.raises(SystemExit, match="only for `make bench`"):
        masking_off_for_benchmark()
    with tempfile.TemporaryDirectory(prefix="candor-bench-") as bench:
        monkeypatch.setenv("CANDOR_DATA_DIR", bench)
        assert masking_off_for_benchmark() is True
