from curation.admin import records, reference_data, spreadsheets  # noqa: F401  (registers the model admins)
