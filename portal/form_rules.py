"""The validators of every form, with messages that say what is wrong: "Enter the city.",
"Use at most 200 characters.", "Enter a number from 1 to 100,000.", never "This field is
required." for a 0 or "Use at least 10 characters." for 5,000."""

from wtforms.validators import Email, InputRequired, Length, NumberRange, StopValidation

from portal import inputs


class RequiredText(InputRequired):
    """InputRequired that also counts text that shows nothing as missing: "   " (or a
    zero-width space) is no name."""

    def __call__(self, form, field):
        raw = field.raw_data[0] if field.raw_data else None
        if isinstance(raw, str) and inputs.blank(raw):
            field.errors[:] = []
            raise StopValidation(self.message)
        super().__call__(form, field)


def required(what: str = "a value") -> InputRequired:
    return RequiredText(f"Enter {what}.")


def required_secret(what: str) -> InputRequired:
    """For passwords, whose spaces are characters like any other."""
    return InputRequired(f"Enter {what}.")


def at_most(limit: int) -> Length:
    return Length(max=limit, message=f"Use at most {limit:,} characters.")


def at_least(limit: int) -> Length:
    return Length(min=limit, message=f"Use at least {limit:,} characters.")


def between(low: int, high: int) -> NumberRange:
    return NumberRange(low, high, message=f"Enter a number from {low:,} to {high:,}.")


def email_address() -> Email:
    return Email("Enter an email address such as name@company.com.")
