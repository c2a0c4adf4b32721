from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings


def test_defaults_when_nothing_is_set() -> None:
    settings = Settings.from_mapping({})
    assert settings.discord_token is None
    assert settings.db_path == Path("data/paperbot.db")
    assert settings.poll_seconds == 600
    assert settings.hf_endpoint == "https://huggingface.co"
    assert settings.feeds == ("daily", "trending")
    assert settings.dev_guild is None
    assert settings.retry_seconds == 30
    assert settings.warnings() == []


def test_values_are_read_and_normalised() -> None:
    settings = Settings.from_mapping(
        {
            "DISCORD_TOKEN": " abc.def.ghi ",
            "PAPERBOT_POLL_SECONDS": "1",
            "PAPERBOT_FEEDS": "Trending, daily,trending",
            "HF_ENDPOINT": "http://127.0.0.1:9/",
            "PAPERBOT_DEV_GUILD": "123",
            "LOG_LEVEL": "debug",
            "PAPERBOT_RETRY_SECONDS": "0.5",
        }
    )
    assert settings.discord_token == "abc.def.ghi"
    assert settings.retry_seconds == 0.5
    assert settings.feeds == ("trending", "daily")
    assert settings.hf_endpoint == "http://127.0.0.1:9"
    assert settings.dev_guild == 123
    assert settings.log_level == "DEBUG"
    assert "below 60" in settings.warnings()[0]


def test_the_token_never_shows_in_the_settings_repr() -> None:
    assert "s3cret-token" not in repr(Settings.from_mapping({"DISCORD_TOKEN": "s3cret-token"}))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PAPERBOT_POLL_SECONDS", "ten", "PAPERBOT_POLL_SECONDS must be a whole number"),
        ("PAPERBOT_POLL_SECONDS", "0", "from 1 to 86400"),
        # Too large for the scheduler's timer: refused at start, not a traceback later.
        ("PAPERBOT_POLL_SECONDS", "99999999999999", "from 1 to 86400"),
        ("PAPERBOT_SEND_RATE", "0.001", "from 0.1 to 45"),
        ("PAPERBOT_RETRY_SECONDS", "-1", "PAPERBOT_RETRY_SECONDS must be seconds, from 0.01"),
        ("PAPERBOT_SEND_RATE", "nan", "PAPERBOT_SEND_RATE must be messages per second"),
        (
            "PAPERBOT_FEEDS",
            "daily,weekly",
            "PAPERBOT_FEEDS accepts a comma list of daily and trending",
        ),
        ("PAPERBOT_FEEDS", ",", "PAPERBOT_FEEDS accepts"),
        ("HF_ENDPOINT", "huggingface.co", "HF_ENDPOINT must be an http"),
        ("HF_ENDPOINT", "ws://huggingface.co", "HF_ENDPOINT must be an http"),
        ("PAPERBOT_DEV_GUILD", "my-guild", "PAPERBOT_DEV_GUILD must be a numeric guild id"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL accepts"),
        ("DISCORD_API_BASE", "nope", "DISCORD_API_BASE must be an http"),
        ("DISCORD_GATEWAY_URL", "http://127.0.0.1:1/", "such as ws://127.0.0.1:8080/"),
    ],
)
def test_bad_values_name_the_setting_and_what_it_accepts(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        Settings.from_mapping({name: value})
    assert "\n" not in str(caught.value)


def test_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PAPERBOT_POLL_SECONDS=120\nPAPERBOT_DB=from-file.db\n")
    monkeypatch.setenv("PAPERBOT_POLL_SECONDS", "300")
    monkeypatch.delenv("PAPERBOT_DB", raising=False)
    settings = load_settings(env_file)
    assert settings.poll_seconds == 300
    assert settings.db_path == Path("from-file.db")


def test_a_database_url_keeps_its_slashes_and_its_password_stays_out_of_sight() -> None:
    url = "postgresql://bot:s3cret-pw@db.example:5432/paperbot"
    settings = Settings.from_mapping({"PAPERBOT_DB": url})
    assert settings.db_path == url
    assert settings.db_password() == "s3cret-pw"
    assert "s3cret-pw" not in repr(settings)
    assert Settings.from_mapping({"PAPERBOT_DB": "x.db"}).db_password() is None


def test_shards_go_with_a_count_and_stay_inside_it() -> None:
    settings = Settings.from_mapping({"PAPERBOT_SHARDS": "0-1,3", "PAPERBOT_SHARD_COUNT": "4"})
    assert settings.shard_ids == (0, 1, 3)
    assert settings.shard_count == 4
    for shards, count, message in [
        ("0-3", None, "go together"),
        ("0-4", "4", "from 0 to 3"),
        ("a-b", "4", "must list shard ids"),
        ("0", "zero", "whole number of shards"),
    ]:
        env = {"PAPERBOT_SHARDS": shards}
        if count is not None:
            env["PAPERBOT_SHARD_COUNT"] = count
        with pytest.raises(ConfigError, match=message):
            Settings.from_mapping(env)
