"""Answer key of exercise 12 (private: see :mod:`coursekit.checks._answers`)."""

# Task 3: the Azure Machine Learning service for each MLOps concept (each one of ch12.AZURE_OPTIONS).
AZURE_EXPECTED = {
    "tracking": "MLflow tracking against the workspace",
    "registry": "Azure Machine Learning model registry (workspace models, registries to share)",
    "pipelines": "Azure Machine Learning pipelines",
    "feature_store": "Azure Machine Learning managed feature store",
    "serving": "Managed online endpoints",
    "monitoring": "Azure Machine Learning model monitoring",
}
