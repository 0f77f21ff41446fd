"""Candor's own Presidio recognizers, one per file."""
from bot.pii.recognizers.address_block_recognizer import AddressBlockRecognizer
from bot.pii.recognizers.card_security_code_recognizer import CardSecurityCodeRecognizer
from bot.pii.recognizers.credential_recognizer import CredentialRecognizer
from bot.pii.recognizers.date_of_birth_recognizer import DateOfBirthRecognizer
from bot.pii.recognizers.iban_recognizer import CandorIbanRecognizer
from bot.pii.recognizers.ip_recognizer import CandorIpRecognizer
from bot.pii.recognizers.location_recognizer import LocationRecognizer
from bot.pii.recognizers.national_id_recognizer import BeNationalNumberRecognizer, UkDrivingLicenceRecognizer
from bot.pii.recognizers.nl_bsn_recognizer import NlBsnRecognizer
from bot.pii.recognizers.obfuscated_email_recognizer import ObfuscatedEmailRecognizer
from bot.pii.recognizers.passport_recognizer import PassportRecognizer
from bot.pii.recognizers.person_cue_recognizer import PersonCueRecognizer
from bot.pii.recognizers.phone_cue_recognizer import PhoneCueRecognizer
from bot.pii.recognizers.social_handle_recognizer import SocialHandleRecognizer
from bot.pii.recognizers.special_category_recognizer import SpecialCategoryRecognizer
from bot.pii.recognizers.street_address_recognizer import StreetAddressRecognizer
from bot.pii.recognizers.titled_name_recognizer import TitledNameRecognizer

__all__ = [
    "AddressBlockRecognizer", "BeNationalNumberRecognizer", "CredentialRecognizer", "UkDrivingLicenceRecognizer",
    "CandorIbanRecognizer", "CandorIpRecognizer", "CardSecurityCodeRecognizer",
    "DateOfBirthRecognizer", "LocationRecognizer", "NlBsnRecognizer", "ObfuscatedEmailRecognizer",
    "PassportRecognizer", "PersonCueRecognizer", "PhoneCueRecognizer",
    "SocialHandleRecognizer", "SpecialCategoryRecognizer", "StreetAddressRecognizer", "TitledNameRecognizer",
]
