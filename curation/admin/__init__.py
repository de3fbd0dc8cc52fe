from curation.admin import records, reference_data  # noqa: F401  (registers the model admins)
