"""Facet summaries count every record under ANY_YEAR too (curation/facets.py), and their
indexes lead with the year after the field or the country. Summaries built before lack those
cells, so they are dropped: the next list or home page builds its summary again."""

from django.db import migrations, models


def drop_summaries(apps, schema_editor):
    apps.get_model("curation", "FacetBuild").objects.all().delete()
    apps.get_model("curation", "FacetCount").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("curation", "0016_search_index_of_public_records")]

    operations = [
        migrations.RunPython(drop_summaries, drop_summaries),
        migrations.RemoveIndex(model_name="facetcount", name="curation_fa_model_ae651a_idx"),
        migrations.RemoveIndex(model_name="facetcount", name="curation_fa_model_b11a2d_idx"),
        migrations.AddIndex(
            model_name="facetcount",
            index=models.Index(
                fields=["model", "generation", "country", "year", "field"],
                name="curation_fa_model_d870be_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="facetcount",
            index=models.Index(
                fields=["model", "generation", "field", "year", "country"],
                name="curation_fa_model_0af688_idx",
            ),
        ),
    ]
