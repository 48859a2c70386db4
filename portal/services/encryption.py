"""Key rotation for the credentials stored encrypted: after a new key is put first in
ENCRYPTION_KEYS, `flask rotate-encryption` re-encrypts every stored secret under it; then
the old key can be removed."""

from sqlalchemy import or_, select

from portal.extensions import db
from portal.models import Onboarding, Sync, User, WebhookEndpoint
from portal.services import audit, commit, secrets

# Every encrypted column, by table. A new one must be added here to be rotated.
ENCRYPTED = {
    Sync: ["product_key_encrypted", "extension_token_encrypted", "credentials_password_encrypted"],
    WebhookEndpoint: ["secret_encrypted"],
    Onboarding: ["token_encrypted"],
    User: ["totp_secret_encrypted"],
}
BATCH = 500


def rotate() -> int:
    """Re-encrypt every stored secret under the newest key, a batch per transaction (each
    value stays readable throughout: old and new keys both decrypt). Returns how many
    values were re-encrypted. Raises ValueError if a value cannot be decrypted."""
    rotated = 0
    for model, columns in ENCRYPTED.items():
        rotated += _rotate_table(model, columns)
    audit.record("encryption.rotated", actor=None, values=rotated)
    commit()
    return rotated


def _rotate_table(model, columns: list[str]) -> int:
    rotated, last_id = 0, 0
    holds_secret = or_(*(getattr(model, c).is_not(None) for c in columns))
    while True:
        rows = db.session.scalars(
            select(model).where(holds_secret, model.id > last_id).order_by(model.id).limit(BATCH)
        ).all()
        if not rows:
            return rotated
        for row in rows:
            for column in columns:
                if value := getattr(row, column):
                    setattr(row, column, secrets.reencrypt(value))
                    rotated += 1
        last_id = rows[-1].id
        commit()
