import datetime

from computenet.v1 import common_pb2 as _common_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_KIND_UNSPECIFIED: _ClassVar[JobKind]
    JOB_KIND_TRAINING: _ClassVar[JobKind]
    JOB_KIND_INFERENCE: _ClassVar[JobKind]
JOB_KIND_UNSPECIFIED: JobKind
JOB_KIND_TRAINING: JobKind
JOB_KIND_INFERENCE: JobKind

class ReplicaSpec(_message.Message):
    __slots__ = ("accelerator_count", "accelerator_milli", "accelerator_models", "min_accelerator_memory_gib", "min_fp16_tflops", "cpu_milli", "memory_mib")
    ACCELERATOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACCELERATOR_MILLI_FIELD_NUMBER: _ClassVar[int]
    ACCELERATOR_MODELS_FIELD_NUMBER: _ClassVar[int]
    MIN_ACCELERATOR_MEMORY_GIB_FIELD_NUMBER: _ClassVar[int]
    MIN_FP16_TFLOPS_FIELD_NUMBER: _ClassVar[int]
    CPU_MILLI_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MIB_FIELD_NUMBER: _ClassVar[int]
    accelerator_count: int
    accelerator_milli: int
    accelerator_models: _containers.RepeatedScalarFieldContainer[str]
    min_accelerator_memory_gib: float
    min_fp16_tflops: float
    cpu_milli: int
    memory_mib: int
    def __init__(self, accelerator_count: _Optional[int] = ..., accelerator_milli: _Optional[int] = ..., accelerator_models: _Optional[_Iterable[str]] = ..., min_accelerator_memory_gib: _Optional[float] = ..., min_fp16_tflops: _Optional[float] = ..., cpu_milli: _Optional[int] = ..., memory_mib: _Optional[int] = ...) -> None: ...

class Residency(_message.Message):
    __slots__ = ("allowed_provinces", "allowed_regions")
    ALLOWED_PROVINCES_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_REGIONS_FIELD_NUMBER: _ClassVar[int]
    allowed_provinces: _containers.RepeatedScalarFieldContainer[str]
    allowed_regions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, allowed_provinces: _Optional[_Iterable[str]] = ..., allowed_regions: _Optional[_Iterable[str]] = ...) -> None: ...

class JobSpec(_message.Message):
    __slots__ = ("kind", "replicas", "replica", "expected_duration", "deadline", "priority", "preemptible", "user_region", "max_rtt_ms", "data_region", "residency", "policy", "expected_utilization", "labels")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KIND_FIELD_NUMBER: _ClassVar[int]
    REPLICAS_FIELD_NUMBER: _ClassVar[int]
    REPLICA_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_DURATION_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    PREEMPTIBLE_FIELD_NUMBER: _ClassVar[int]
    USER_REGION_FIELD_NUMBER: _ClassVar[int]
    MAX_RTT_MS_FIELD_NUMBER: _ClassVar[int]
    DATA_REGION_FIELD_NUMBER: _ClassVar[int]
    RESIDENCY_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_UTILIZATION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    kind: JobKind
    replicas: int
    replica: ReplicaSpec
    expected_duration: _duration_pb2.Duration
    deadline: _timestamp_pb2.Timestamp
    priority: int
    preemptible: bool
    user_region: str
    max_rtt_ms: float
    data_region: str
    residency: Residency
    policy: str
    expected_utilization: float
    labels: _containers.ScalarMap[str, str]
    def __init__(self, kind: _Optional[_Union[JobKind, str]] = ..., replicas: _Optional[int] = ..., replica: _Optional[_Union[ReplicaSpec, _Mapping]] = ..., expected_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., priority: _Optional[int] = ..., preemptible: bool = ..., user_region: _Optional[str] = ..., max_rtt_ms: _Optional[float] = ..., data_region: _Optional[str] = ..., residency: _Optional[_Union[Residency, _Mapping]] = ..., policy: _Optional[str] = ..., expected_utilization: _Optional[float] = ..., labels: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Allocation(_message.Message):
    __slots__ = ("node", "accelerator_indices", "accelerator_milli", "cpu_milli", "memory_mib")
    NODE_FIELD_NUMBER: _ClassVar[int]
    ACCELERATOR_INDICES_FIELD_NUMBER: _ClassVar[int]
    ACCELERATOR_MILLI_FIELD_NUMBER: _ClassVar[int]
    CPU_MILLI_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MIB_FIELD_NUMBER: _ClassVar[int]
    node: str
    accelerator_indices: _containers.RepeatedScalarFieldContainer[int]
    accelerator_milli: int
    cpu_milli: int
    memory_mib: int
    def __init__(self, node: _Optional[str] = ..., accelerator_indices: _Optional[_Iterable[int]] = ..., accelerator_milli: _Optional[int] = ..., cpu_milli: _Optional[int] = ..., memory_mib: _Optional[int] = ...) -> None: ...

class ScoreTerm(_message.Message):
    __slots__ = ("name", "value", "unit", "normalized", "weight", "contribution")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    NORMALIZED_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: float
    unit: str
    normalized: float
    weight: float
    contribution: float
    def __init__(self, name: _Optional[str] = ..., value: _Optional[float] = ..., unit: _Optional[str] = ..., normalized: _Optional[float] = ..., weight: _Optional[float] = ..., contribution: _Optional[float] = ...) -> None: ...

class Candidate(_message.Message):
    __slots__ = ("data_center", "accelerator_model", "score", "terms", "energy", "latency", "infeasible_reason")
    DATA_CENTER_FIELD_NUMBER: _ClassVar[int]
    ACCELERATOR_MODEL_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    ENERGY_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    INFEASIBLE_REASON_FIELD_NUMBER: _ClassVar[int]
    data_center: str
    accelerator_model: str
    score: float
    terms: _containers.RepeatedCompositeFieldContainer[ScoreTerm]
    energy: _common_pb2.EnergyEstimate
    latency: _common_pb2.LatencyEstimate
    infeasible_reason: str
    def __init__(self, data_center: _Optional[str] = ..., accelerator_model: _Optional[str] = ..., score: _Optional[float] = ..., terms: _Optional[_Iterable[_Union[ScoreTerm, _Mapping]]] = ..., energy: _Optional[_Union[_common_pb2.EnergyEstimate, _Mapping]] = ..., latency: _Optional[_Union[_common_pb2.LatencyEstimate, _Mapping]] = ..., infeasible_reason: _Optional[str] = ...) -> None: ...

class Explanation(_message.Message):
    __slots__ = ("policy", "terms", "binding_constraints", "runner_up", "runner_up_reason", "pending_reason", "summary", "alternatives", "decided_by")
    POLICY_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    BINDING_CONSTRAINTS_FIELD_NUMBER: _ClassVar[int]
    RUNNER_UP_FIELD_NUMBER: _ClassVar[int]
    RUNNER_UP_REASON_FIELD_NUMBER: _ClassVar[int]
    PENDING_REASON_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    policy: str
    terms: _containers.RepeatedCompositeFieldContainer[ScoreTerm]
    binding_constraints: _containers.RepeatedScalarFieldContainer[str]
    runner_up: str
    runner_up_reason: str
    pending_reason: str
    summary: str
    alternatives: _containers.RepeatedCompositeFieldContainer[Candidate]
    decided_by: str
    def __init__(self, policy: _Optional[str] = ..., terms: _Optional[_Iterable[_Union[ScoreTerm, _Mapping]]] = ..., binding_constraints: _Optional[_Iterable[str]] = ..., runner_up: _Optional[str] = ..., runner_up_reason: _Optional[str] = ..., pending_reason: _Optional[str] = ..., summary: _Optional[str] = ..., alternatives: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ..., decided_by: _Optional[str] = ...) -> None: ...

class Placement(_message.Message):
    __slots__ = ("data_center", "accelerator_model", "allocations", "energy", "latency", "place_time")
    DATA_CENTER_FIELD_NUMBER: _ClassVar[int]
    ACCELERATOR_MODEL_FIELD_NUMBER: _ClassVar[int]
    ALLOCATIONS_FIELD_NUMBER: _ClassVar[int]
    ENERGY_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    PLACE_TIME_FIELD_NUMBER: _ClassVar[int]
    data_center: str
    accelerator_model: str
    allocations: _containers.RepeatedCompositeFieldContainer[Allocation]
    energy: _common_pb2.EnergyEstimate
    latency: _common_pb2.LatencyEstimate
    place_time: _timestamp_pb2.Timestamp
    def __init__(self, data_center: _Optional[str] = ..., accelerator_model: _Optional[str] = ..., allocations: _Optional[_Iterable[_Union[Allocation, _Mapping]]] = ..., energy: _Optional[_Union[_common_pb2.EnergyEstimate, _Mapping]] = ..., latency: _Optional[_Union[_common_pb2.LatencyEstimate, _Mapping]] = ..., place_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("name", "tenant", "spec", "state", "placement", "explanation", "create_time", "update_time", "start_time", "end_time", "preemption_count", "state_message")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Job.State]
        STATE_PENDING: _ClassVar[Job.State]
        STATE_SCHEDULED: _ClassVar[Job.State]
        STATE_RUNNING: _ClassVar[Job.State]
        STATE_SUCCEEDED: _ClassVar[Job.State]
        STATE_FAILED: _ClassVar[Job.State]
        STATE_CANCELLED: _ClassVar[Job.State]
        STATE_PREEMPTED: _ClassVar[Job.State]
    STATE_UNSPECIFIED: Job.State
    STATE_PENDING: Job.State
    STATE_SCHEDULED: Job.State
    STATE_RUNNING: Job.State
    STATE_SUCCEEDED: Job.State
    STATE_FAILED: Job.State
    STATE_CANCELLED: Job.State
    STATE_PREEMPTED: Job.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PREEMPTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    STATE_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    tenant: str
    spec: JobSpec
    state: Job.State
    placement: Placement
    explanation: Explanation
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    preemption_count: int
    state_message: str
    def __init__(self, name: _Optional[str] = ..., tenant: _Optional[str] = ..., spec: _Optional[_Union[JobSpec, _Mapping]] = ..., state: _Optional[_Union[Job.State, str]] = ..., placement: _Optional[_Union[Placement, _Mapping]] = ..., explanation: _Optional[_Union[Explanation, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., preemption_count: _Optional[int] = ..., state_message: _Optional[str] = ...) -> None: ...

class SubmitJobRequest(_message.Message):
    __slots__ = ("parent", "job_id", "spec", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    job_id: str
    spec: JobSpec
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., job_id: _Optional[str] = ..., spec: _Optional[_Union[JobSpec, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class SubmitJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class QuoteJobRequest(_message.Message):
    __slots__ = ("parent", "spec")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    parent: str
    spec: JobSpec
    def __init__(self, parent: _Optional[str] = ..., spec: _Optional[_Union[JobSpec, _Mapping]] = ...) -> None: ...

class QuoteJobResponse(_message.Message):
    __slots__ = ("placeable", "placement", "predicted_start_time", "explanation")
    PLACEABLE_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_FIELD_NUMBER: _ClassVar[int]
    PREDICTED_START_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    placeable: bool
    placement: Placement
    predicted_start_time: _timestamp_pb2.Timestamp
    explanation: Explanation
    def __init__(self, placeable: bool = ..., placement: _Optional[_Union[Placement, _Mapping]] = ..., predicted_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., explanation: _Optional[_Union[Explanation, _Mapping]] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "filter")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    filter: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., filter: _Optional[str] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token", "total_size")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    next_page_token: str
    total_size: int
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class WatchJobsRequest(_message.Message):
    __slots__ = ("parent", "filter", "send_initial")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    SEND_INITIAL_FIELD_NUMBER: _ClassVar[int]
    parent: str
    filter: str
    send_initial: bool
    def __init__(self, parent: _Optional[str] = ..., filter: _Optional[str] = ..., send_initial: bool = ...) -> None: ...

class WatchJobsResponse(_message.Message):
    __slots__ = ("job", "previous_state", "initial")
    JOB_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATE_FIELD_NUMBER: _ClassVar[int]
    INITIAL_FIELD_NUMBER: _ClassVar[int]
    job: Job
    previous_state: Job.State
    initial: bool
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ..., previous_state: _Optional[_Union[Job.State, str]] = ..., initial: bool = ...) -> None: ...

class SetJobStateRequest(_message.Message):
    __slots__ = ("name", "state", "message")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    state: Job.State
    message: str
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[Job.State, str]] = ..., message: _Optional[str] = ...) -> None: ...

class SetJobStateResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class RunBatchPlacementRequest(_message.Message):
    __slots__ = ("time_limit", "dry_run")
    TIME_LIMIT_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    time_limit: _duration_pb2.Duration
    dry_run: bool
    def __init__(self, time_limit: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., dry_run: bool = ...) -> None: ...

class RunBatchPlacementResponse(_message.Message):
    __slots__ = ("pending_jobs", "placed_jobs", "preempted_jobs", "objective", "best_bound", "gap", "status", "solve_time", "job_classes")
    PENDING_JOBS_FIELD_NUMBER: _ClassVar[int]
    PLACED_JOBS_FIELD_NUMBER: _ClassVar[int]
    PREEMPTED_JOBS_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    BEST_BOUND_FIELD_NUMBER: _ClassVar[int]
    GAP_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    JOB_CLASSES_FIELD_NUMBER: _ClassVar[int]
    pending_jobs: int
    placed_jobs: int
    preempted_jobs: int
    objective: float
    best_bound: float
    gap: float
    status: str
    solve_time: _duration_pb2.Duration
    job_classes: int
    def __init__(self, pending_jobs: _Optional[int] = ..., placed_jobs: _Optional[int] = ..., preempted_jobs: _Optional[int] = ..., objective: _Optional[float] = ..., best_bound: _Optional[float] = ..., gap: _Optional[float] = ..., status: _Optional[str] = ..., solve_time: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., job_classes: _Optional[int] = ...) -> None: ...

class Policy(_message.Message):
    __slots__ = ("name", "description", "latency_weight", "energy_cost_weight", "carbon_weight", "utilization_weight")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LATENCY_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    ENERGY_COST_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    CARBON_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    UTILIZATION_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    latency_weight: float
    energy_cost_weight: float
    carbon_weight: float
    utilization_weight: float
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., latency_weight: _Optional[float] = ..., energy_cost_weight: _Optional[float] = ..., carbon_weight: _Optional[float] = ..., utilization_weight: _Optional[float] = ...) -> None: ...

class ListPoliciesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListPoliciesResponse(_message.Message):
    __slots__ = ("policies", "default_policy")
    POLICIES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_POLICY_FIELD_NUMBER: _ClassVar[int]
    policies: _containers.RepeatedCompositeFieldContainer[Policy]
    default_policy: str
    def __init__(self, policies: _Optional[_Iterable[_Union[Policy, _Mapping]]] = ..., default_policy: _Optional[str] = ...) -> None: ...

class QuotaLimit(_message.Message):
    __slots__ = ("accelerator_model", "limit", "used")
    ACCELERATOR_MODEL_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    accelerator_model: str
    limit: float
    used: float
    def __init__(self, accelerator_model: _Optional[str] = ..., limit: _Optional[float] = ..., used: _Optional[float] = ...) -> None: ...

class TenantQuota(_message.Message):
    __slots__ = ("name", "limits")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    name: str
    limits: _containers.RepeatedCompositeFieldContainer[QuotaLimit]
    def __init__(self, name: _Optional[str] = ..., limits: _Optional[_Iterable[_Union[QuotaLimit, _Mapping]]] = ...) -> None: ...

class GetTenantQuotaRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetTenantQuotaResponse(_message.Message):
    __slots__ = ("quota",)
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    quota: TenantQuota
    def __init__(self, quota: _Optional[_Union[TenantQuota, _Mapping]] = ...) -> None: ...

class SetTenantQuotaRequest(_message.Message):
    __slots__ = ("quota",)
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    quota: TenantQuota
    def __init__(self, quota: _Optional[_Union[TenantQuota, _Mapping]] = ...) -> None: ...

class SetTenantQuotaResponse(_message.Message):
    __slots__ = ("quota",)
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    quota: TenantQuota
    def __init__(self, quota: _Optional[_Union[TenantQuota, _Mapping]] = ...) -> None: ...

class ListTenantQuotasRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTenantQuotasResponse(_message.Message):
    __slots__ = ("quotas", "next_page_token")
    QUOTAS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    quotas: _containers.RepeatedCompositeFieldContainer[TenantQuota]
    next_page_token: str
    def __init__(self, quotas: _Optional[_Iterable[_Union[TenantQuota, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Webhook(_message.Message):
    __slots__ = ("name", "url", "states", "secret", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    url: str
    states: _containers.RepeatedScalarFieldContainer[Job.State]
    secret: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., url: _Optional[str] = ..., states: _Optional[_Iterable[_Union[Job.State, str]]] = ..., secret: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateWebhookRequest(_message.Message):
    __slots__ = ("parent", "webhook_id", "webhook", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    webhook_id: str
    webhook: Webhook
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., webhook_id: _Optional[str] = ..., webhook: _Optional[_Union[Webhook, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateWebhookResponse(_message.Message):
    __slots__ = ("webhook",)
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    webhook: Webhook
    def __init__(self, webhook: _Optional[_Union[Webhook, _Mapping]] = ...) -> None: ...

class ListWebhooksRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListWebhooksResponse(_message.Message):
    __slots__ = ("webhooks", "next_page_token")
    WEBHOOKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    webhooks: _containers.RepeatedCompositeFieldContainer[Webhook]
    next_page_token: str
    def __init__(self, webhooks: _Optional[_Iterable[_Union[Webhook, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteWebhookRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteWebhookResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WebhookDelivery(_message.Message):
    __slots__ = ("job", "state", "attempt_time", "attempt", "http_status", "error", "delivered")
    JOB_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    job: str
    state: Job.State
    attempt_time: _timestamp_pb2.Timestamp
    attempt: int
    http_status: int
    error: str
    delivered: bool
    def __init__(self, job: _Optional[str] = ..., state: _Optional[_Union[Job.State, str]] = ..., attempt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempt: _Optional[int] = ..., http_status: _Optional[int] = ..., error: _Optional[str] = ..., delivered: bool = ...) -> None: ...

class ListWebhookDeliveriesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListWebhookDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries", "next_page_token")
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[WebhookDelivery]
    next_page_token: str
    def __init__(self, deliveries: _Optional[_Iterable[_Union[WebhookDelivery, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
