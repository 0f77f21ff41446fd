

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


def test_settings_follow_the_environment_and_working_directory(monkeypatch, tmp_path) -> None:
    from bot.config import settings

    monkeypatch.setenv("CANDOR_DATA_DIR", str(tmp_path / "one"))
    assert settings().data_dir == tmp_path / "one"
    monkeypatch.setenv("CANDOR_DATA_DIR", str(tmp_path / "two"))
    monkeypatch.setenv("CANDOR_MAX_MESSAGE_CHARS", "123")
    assert (settings().data_dir, settings().max_message_chars) == (tmp_path / "two", 123)
    monkeypatch.setenv("CANDOR_DATA_DIR", "relative")
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    assert settings().data_dir == tmp_path / "a" / "relative"
    monkeypatch.chdir(tmp_path)
    assert settings().data_dir == tmp_path / "relative"
