"""Candor's own Presidio recognizers, one per file."""
from bot.pii.recognizers.date_of_birth_recognizer import DateOfBirthRecognizer
from bot.pii.recognizers.iban_recognizer import CandorIbanRecognizer
from bot.pii.recognizers.ip_recognizer import CandorIpRecognizer
from bot.pii.recognizers.nl_bsn_recognizer import NlBsnRecognizer
from bot.pii.recognizers.person_cue_recognizer import PersonCueRecognizer
from bot.pii.recognizers.special_category_recognizer import SpecialCategoryRecognizer
from bot.pii.recognizers.street_address_recognizer import StreetAddressRecognizer

__all__ = ["CandorIpRecognizer", "DateOfBirthRecognizer", "CandorIbanRecognizer", "NlBsnRecognizer", "PersonCueRecognizer", "SpecialCategoryRecognizer", "StreetAddressRecognizer"]
