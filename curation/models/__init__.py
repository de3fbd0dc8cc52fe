from curation.models.agreements import Agreement, AgreementParty, AgreementRelation
from curation.models.citations import AGREEMENT_SUPPORTS, PROJECT_SUPPORTS, Citation
from curation.models.facets import FacetBuild, FacetCount
from curation.models.imports import ImportBatch
from curation.models.lookups import Among
from curation.models.organizations import Organization
from curation.models.projects import Project, ProjectParticipant
from curation.models.publication import Publication
from curation.models.records import Record, Status
from curation.models.references import ReferenceSequence
from curation.models.sources import Source
from curation.models.vocabulary import FieldOfCooperation

__all__ = [
    "AGREEMENT_SUPPORTS",
    "PROJECT_SUPPORTS",
    "Agreement",
    "AgreementParty",
    "AgreementRelation",
    "Among",
    "Citation",
    "FacetBuild",
    "FacetCount",
    "FieldOfCooperation",
    "ImportBatch",
    "Organization",
    "Project",
    "ProjectParticipant",
    "Publication",
    "Record",
    "ReferenceSequence",
    "Source",
    "Status",
]
