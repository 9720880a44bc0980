"""What generated catalogs sound like: genre families with their audio-feature profiles,
and the words that generated track and artist names are made of."""

from __future__ import annotations

# family -> mean danceability, energy, loudness (dB), speechiness, acousticness,
# probability of an instrumental track, liveness, valence, tempo (BPM)
FAMILIES: dict[str, tuple[float, ...]] = {
    "ambient":   (0.30, 0.18, -21.0, 0.04, 0.85, 0.80, 0.11, 0.15, 95.0),
    "classical": (0.28, 0.14, -24.0, 0.05, 0.95, 0.85, 0.13, 0.20, 100.0),
    "hip-hop":   (0.78, 0.64, -6.5, 0.30, 0.16, 0.03, 0.18, 0.52, 108.0),
    "edm":       (0.68, 0.86, -5.0, 0.07, 0.04, 0.55, 0.22, 0.45, 128.0),
    "dance":     (0.74, 0.75, -5.8, 0.08, 0.12, 0.12, 0.17, 0.60, 122.0),
    "metal":     (0.38, 0.93, -4.5, 0.09, 0.01, 0.25, 0.24, 0.28, 135.0),
    "rock":      (0.48, 0.78, -6.0, 0.05, 0.10, 0.08, 0.20, 0.48, 126.0),
    "jazz":      (0.58, 0.38, -11.5, 0.06, 0.68, 0.45, 0.16, 0.55, 112.0),
    "folk":      (0.52, 0.36, -11.0, 0.04, 0.78, 0.06, 0.15, 0.48, 114.0),
    "pop":       (0.66, 0.66, -6.0, 0.07, 0.22, 0.02, 0.17, 0.55, 118.0),
    "latin":     (0.76, 0.72, -5.8, 0.08, 0.25, 0.03, 0.19, 0.75, 112.0),
    "soul":      (0.60, 0.52, -8.5, 0.07, 0.35, 0.04, 0.17, 0.58, 104.0),
}  # fmt: skip

GENRES: dict[str, str] = {
    "ambient": "ambient", "new-age": "ambient", "sleep": "ambient", "chill": "ambient",
    "classical": "classical", "piano": "classical", "opera": "classical",
    "hip-hop": "hip-hop", "trip-hop": "hip-hop", "dancehall": "hip-hop",
    "edm": "edm", "techno": "edm", "trance": "edm", "house": "edm", "deep-house": "edm",
    "drum-and-bass": "edm", "dubstep": "edm", "hardstyle": "edm", "minimal-techno": "edm",
    "dance": "dance", "disco": "dance", "club": "dance", "electro": "dance",
    "metal": "metal", "heavy-metal": "metal", "death-metal": "metal", "black-metal": "metal",
    "metalcore": "metal", "grindcore": "metal",
    "rock": "rock", "alt-rock": "rock", "hard-rock": "rock", "punk": "rock", "punk-rock": "rock",
    "psych-rock": "rock", "indie-pop": "rock", "emo": "rock",
    "jazz": "jazz", "blues": "jazz", "funk": "jazz",
    "folk": "folk", "acoustic": "folk", "country": "folk", "singer-songwriter": "folk",
    "pop": "pop", "k-pop": "pop", "power-pop": "pop", "cantopop": "pop", "romance": "pop",
    "salsa": "latin", "samba": "latin", "tango": "latin", "forro": "latin", "afrobeat": "latin",
    "soul": "soul", "gospel": "soul", "groove": "soul",
}  # fmt: skip

ADJECTIVES = (
    "Midnight", "Golden", "Electric", "Silent", "Broken", "Neon", "Velvet", "Wild", "Crimson", "Lonely",
    "Burning", "Frozen", "Hidden", "Endless", "Sweet", "Bitter", "Distant", "Restless", "Summer", "Paper",
    "Silver", "Hollow", "Northern", "Cosmic", "Quiet", "Savage", "Gentle", "Fading", "Little", "Dancing",
)  # fmt: skip
NOUNS = (
    "Heart", "River", "Dream", "Light", "Fire", "Rain", "Road", "Sky", "Ocean", "Shadow", "Echo", "Garden",
    "City", "Moon", "Storm", "Kiss", "Mirror", "Island", "Flame", "Ghost", "Wave", "Highway", "Letter",
    "Night", "Morning", "Thunder", "Desert", "Angel", "Signal", "Horizon",
)  # fmt: skip
FIRST_NAMES = (
    "Anna", "Marcus", "Lena", "Diego", "Chloé", "Kenji", "Amara", "Jonas", "Zoë", "Mateo", "Ingrid",
    "Rafael", "Nina", "Tomás", "Aaliyah", "Björn", "Leïla", "Omar", "Sofía", "Felix", "Hana", "Ruth",
)  # fmt: skip
LAST_NAMES = (
    "Reyes", "Holm", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Brooks", "Novak", "Müller", "Silva",
    "Kowalski", "Haddad", "Quinn", "Dubois", "Park", "Jensen", "García", "Wolfe", "Adeyemi", "Costa",
)  # fmt: skip
