"""A practice's time zone follows its address: the main IANA zone of each US state (a state
split between zones gets the zone most of its people live in)."""

DEFAULT = "America/New_York"
EASTERN, CENTRAL = "America/New_York", "America/Chicago"
MOUNTAIN, PACIFIC = "America/Denver", "America/Los_Angeles"
BY_STATE = {
    **dict.fromkeys(
        [
            "CT",
            "DE",
            "DC",
            "FL",
            "GA",
            "IN",
            "ME",
            "MD",
            "MA",
            "MI",
            "NH",
            "NJ",
            "NY",
            "NC",
            "OH",
            "PA",
            "RI",
            "SC",
            "VT",
            "VA",
            "WV",
            "KY",
        ],
        EASTERN,
    ),
    **dict.fromkeys(
        [
            "AL",
            "AR",
            "IL",
            "IA",
            "KS",
            "LA",
            "MN",
            "MS",
            "MO",
            "NE",
            "ND",
            "OK",
            "SD",
            "TN",
            "TX",
            "WI",
        ],
        CENTRAL,
    ),
    **dict.fromkeys(["CO", "ID", "MT", "NM", "UT", "WY"], MOUNTAIN),
    **dict.fromkeys(["CA", "NV", "OR", "WA"], PACIFIC),
    "AZ": "America/Phoenix",
    "AK": "America/Anchorage",
    "HI": "Pacific/Honolulu",
    "PR": "America/Puerto_Rico",
    "GU": "Pacific/Guam",
    "VI": "America/St_Thomas",
    "AS": "Pacific/Pago_Pago",
    "MP": "Pacific/Saipan",
}


def for_state(state: str | None) -> str:
    """The time zone of a US state given by its two-letter code; New York when unknown."""
    return BY_STATE.get((state or "").strip().upper(), DEFAULT)
