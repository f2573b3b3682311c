"""Answer key of exercise 13 (private: see :mod:`coursekit.checks._answers`)."""

#: Task 4: the sensitive columns of ``make_feature_table()`` (default names), with the kind of data each holds.
SENSITIVE = {
    "account_ref": "identifier",
    "email_addr": "e-mail",
    "contact": "phone",
    "comment": "free text",
    "birth_date": "date of birth",
    "postcode": "postcode",
}
