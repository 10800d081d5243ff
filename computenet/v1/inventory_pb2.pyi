from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HubClass(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HUB_CLASS_UNSPECIFIED: _ClassVar[HubClass]
    HUB_CLASS_NONE: _ClassVar[HubClass]
    HUB_CLASS_EASTERN: _ClassVar[HubClass]
    HUB_CLASS_WESTERN: _ClassVar[HubClass]

class InventoryFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVENTORY_FORMAT_UNSPECIFIED: _ClassVar[InventoryFormat]
    INVENTORY_FORMAT_YAML: _ClassVar[InventoryFormat]
    INVENTORY_FORMAT_JSON: _ClassVar[InventoryFormat]
HUB_CLASS_UNSPECIFIED: HubClass
HUB_CLASS_NONE: HubClass
HUB_CLASS_EASTERN: HubClass
HUB_CLASS_WESTERN: HubClass
INVENTORY_FORMAT_UNSPECIFIED: InventoryFormat
INVENTORY_FORMAT_YAML: InventoryFormat
INVENTORY_FORMAT_JSON: InventoryFormat

class AcceleratorModel(_message.Message):
    __slots__ = ("name", "display_name", "vendor", "memory_gib", "fp16_tflops", "board_power_w", "source")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    MEMORY_GIB_FIELD_NUMBER: _ClassVar[int]
    FP16_TFLOPS_FIELD_NUMBER: _ClassVar[int]
    BOARD_POWER_W_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    vendor: str
    memory_gib: float
    fp16_tflops: float
    board_power_w: float
    source: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., vendor: _Optional[str] = ..., memory_gib: _Optional[float] = ..., fp16_tflops: _Optional[float] = ..., board_power_w: _Optional[float] = ..., source: _Optional[str] = ...) -> None: ...

class Region(_message.Message):
    __slots__ = ("name", "display_name", "province", "latitude", "longitude", "hub", "hub_class")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    HUB_FIELD_NUMBER: _ClassVar[int]
    HUB_CLASS_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    province: str
    latitude: float
    longitude: float
    hub: str
    hub_class: HubClass
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., province: _Optional[str] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., hub: _Optional[str] = ..., hub_class: _Optional[_Union[HubClass, str]] = ...) -> None: ...

class DataCenter(_message.Message):
    __slots__ = ("name", "display_name", "region", "province", "latitude", "longitude", "grid_carbon_g_per_kwh", "electricity_price_cny_per_kwh", "design_pue", "pue_target", "commissioned_year", "state", "labels", "source", "node_count", "accelerator_count", "fp16_pflops")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[DataCenter.State]
        STATE_ACTIVE: _ClassVar[DataCenter.State]
        STATE_MAINTENANCE: _ClassVar[DataCenter.State]
        STATE_DECOMMISSIONED: _ClassVar[DataCenter.State]
    STATE_UNSPECIFIED: DataCenter.State
    STATE_ACTIVE: DataCenter.State
    STATE_MAINTENANCE: DataCenter.State
    STATE_DECOMMISSIONED: DataCenter.State
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    GRID_CARBON_G_PER_KWH_FIELD_NUMBER: _ClassVar[int]
    ELECTRICITY_PRICE_CNY_PER_KWH_FIELD_NUMBER: _ClassVar[int]
    DESIGN_PUE_FIELD_NUMBER: _ClassVar[int]
    PUE_TARGET_FIELD_NUMBER: _ClassVar[int]
    COMMISSIONED_YEAR_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    NODE_COUNT_FIELD_NUMBER: _ClassVar[int]
    ACCELERATOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    FP16_PFLOPS_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    region: str
    province: str
    latitude: float
    longitude: float
    grid_carbon_g_per_kwh: float
    electricity_price_cny_per_kwh: float
    design_pue: float
    pue_target: float
    commissioned_year: int
    state: DataCenter.State
    labels: _containers.ScalarMap[str, str]
    source: str
    node_count: int
    accelerator_count: int
    fp16_pflops: float
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., region: _Optional[str] = ..., province: _Optional[str] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., grid_carbon_g_per_kwh: _Optional[float] = ..., electricity_price_cny_per_kwh: _Optional[float] = ..., design_pue: _Optional[float] = ..., pue_target: _Optional[float] = ..., commissioned_year: _Optional[int] = ..., state: _Optional[_Union[DataCenter.State, str]] = ..., labels: _Optional[_Mapping[str, str]] = ..., source: _Optional[str] = ..., node_count: _Optional[int] = ..., accelerator_count: _Optional[int] = ..., fp16_pflops: _Optional[float] = ...) -> None: ...

class Rack(_message.Message):
    __slots__ = ("name", "room", "u_height", "power_capacity_kw", "cooling_kw")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROOM_FIELD_NUMBER: _ClassVar[int]
    U_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    POWER_CAPACITY_KW_FIELD_NUMBER: _ClassVar[int]
    COOLING_KW_FIELD_NUMBER: _ClassVar[int]
    name: str
    room: str
    u_height: int
    power_capacity_kw: float
    cooling_kw: float
    def __init__(self, name: _Optional[str] = ..., room: _Optional[str] = ..., u_height: _Optional[int] = ..., power_capacity_kw: _Optional[float] = ..., cooling_kw: _Optional[float] = ...) -> None: ...

class Pool(_message.Message):
    __slots__ = ("name", "display_name", "accelerator_model", "accelerators_per_node", "cpu_milli_per_node", "memory_mib_per_node", "node_count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ACCELERATOR_MODEL_FIELD_NUMBER: _ClassVar[int]
    ACCELERATORS_PER_NODE_FIELD_NUMBER: _ClassVar[int]
    CPU_MILLI_PER_NODE_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MIB_PER_NODE_FIELD_NUMBER: _ClassVar[int]
    NODE_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    accelerator_model: str
    accelerators_per_node: int
    cpu_milli_per_node: int
    memory_mib_per_node: int
    node_count: int
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., accelerator_model: _Optional[str] = ..., accelerators_per_node: _Optional[int] = ..., cpu_milli_per_node: _Optional[int] = ..., memory_mib_per_node: _Optional[int] = ..., node_count: _Optional[int] = ...) -> None: ...

class Node(_message.Message):
    __slots__ = ("name", "pool", "rack", "rack_position_u", "accelerator_model", "accelerator_count", "cpu_milli", "memory_mib", "state")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Node.State]
        STATE_READY: _ClassVar[Node.State]
        STATE_CORDONED: _ClassVar[Node.State]
    STATE_UNSPECIFIED: Node.State
    STATE_READY: Node.State
    STATE_CORDONED: Node.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    RACK_FIELD_NUMBER: _ClassVar[int]
    RACK_POSITION_U_FIELD_NUMBER: _ClassVar[int]
    ACCELERATOR_MODEL_FIELD_NUMBER: _ClassVar[int]
    ACCELERATOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    CPU_MILLI_FIELD_NUMBER: _ClassVar[int]
    MEMORY_MIB_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    pool: str
    rack: str
    rack_position_u: int
    accelerator_model: str
    accelerator_count: int
    cpu_milli: int
    memory_mib: int
    state: Node.State
    def __init__(self, name: _Optional[str] = ..., pool: _Optional[str] = ..., rack: _Optional[str] = ..., rack_position_u: _Optional[int] = ..., accelerator_model: _Optional[str] = ..., accelerator_count: _Optional[int] = ..., cpu_milli: _Optional[int] = ..., memory_mib: _Optional[int] = ..., state: _Optional[_Union[Node.State, str]] = ...) -> None: ...

class Link(_message.Message):
    __slots__ = ("name", "region", "data_center", "rtt_ms", "source")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    DATA_CENTER_FIELD_NUMBER: _ClassVar[int]
    RTT_MS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    region: str
    data_center: str
    rtt_ms: float
    source: str
    def __init__(self, name: _Optional[str] = ..., region: _Optional[str] = ..., data_center: _Optional[str] = ..., rtt_ms: _Optional[float] = ..., source: _Optional[str] = ...) -> None: ...

class CreateAcceleratorModelRequest(_message.Message):
    __slots__ = ("accelerator_model_id", "accelerator_model", "request_id")
    ACCELERATOR_MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    ACCELERATOR_MODEL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    accelerator_model_id: str
    accelerator_model: AcceleratorModel
    request_id: str
    def __init__(self, accelerator_model_id: _Optional[str] = ..., accelerator_model: _Optional[_Union[AcceleratorModel, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateAcceleratorModelResponse(_message.Message):
    __slots__ = ("accelerator_model",)
    ACCELERATOR_MODEL_FIELD_NUMBER: _ClassVar[int]
    accelerator_model: AcceleratorModel
    def __init__(self, accelerator_model: _Optional[_Union[AcceleratorModel, _Mapping]] = ...) -> None: ...

class GetAcceleratorModelRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetAcceleratorModelResponse(_message.Message):
    __slots__ = ("accelerator_model",)
    ACCELERATOR_MODEL_FIELD_NUMBER: _ClassVar[int]
    accelerator_model: AcceleratorModel
    def __init__(self, accelerator_model: _Optional[_Union[AcceleratorModel, _Mapping]] = ...) -> None: ...

class ListAcceleratorModelsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "filter")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    filter: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., filter: _Optional[str] = ...) -> None: ...

class ListAcceleratorModelsResponse(_message.Message):
    __slots__ = ("accelerator_models", "next_page_token", "total_size")
    ACCELERATOR_MODELS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    accelerator_models: _containers.RepeatedCompositeFieldContainer[AcceleratorModel]
    next_page_token: str
    total_size: int
    def __init__(self, accelerator_models: _Optional[_Iterable[_Union[AcceleratorModel, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateAcceleratorModelRequest(_message.Message):
    __slots__ = ("accelerator_model", "update_mask")
    ACCELERATOR_MODEL_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    accelerator_model: AcceleratorModel
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, accelerator_model: _Optional[_Union[AcceleratorModel, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateAcceleratorModelResponse(_message.Message):
    __slots__ = ("accelerator_model",)
    ACCELERATOR_MODEL_FIELD_NUMBER: _ClassVar[int]
    accelerator_model: AcceleratorModel
    def __init__(self, accelerator_model: _Optional[_Union[AcceleratorModel, _Mapping]] = ...) -> None: ...

class DeleteAcceleratorModelRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteAcceleratorModelResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateRegionRequest(_message.Message):
    __slots__ = ("region_id", "region", "request_id")
    REGION_ID_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    region_id: str
    region: Region
    request_id: str
    def __init__(self, region_id: _Optional[str] = ..., region: _Optional[_Union[Region, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateRegionResponse(_message.Message):
    __slots__ = ("region",)
    REGION_FIELD_NUMBER: _ClassVar[int]
    region: Region
    def __init__(self, region: _Optional[_Union[Region, _Mapping]] = ...) -> None: ...

class GetRegionRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetRegionResponse(_message.Message):
    __slots__ = ("region",)
    REGION_FIELD_NUMBER: _ClassVar[int]
    region: Region
    def __init__(self, region: _Optional[_Union[Region, _Mapping]] = ...) -> None: ...

class ListRegionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "filter")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    filter: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., filter: _Optional[str] = ...) -> None: ...

class ListRegionsResponse(_message.Message):
    __slots__ = ("regions", "next_page_token", "total_size")
    REGIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    regions: _containers.RepeatedCompositeFieldContainer[Region]
    next_page_token: str
    total_size: int
    def __init__(self, regions: _Optional[_Iterable[_Union[Region, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateRegionRequest(_message.Message):
    __slots__ = ("region", "update_mask")
    REGION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    region: Region
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, region: _Optional[_Union[Region, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateRegionResponse(_message.Message):
    __slots__ = ("region",)
    REGION_FIELD_NUMBER: _ClassVar[int]
    region: Region
    def __init__(self, region: _Optional[_Union[Region, _Mapping]] = ...) -> None: ...

class DeleteRegionRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteRegionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateDataCenterRequest(_message.Message):
    __slots__ = ("data_center_id", "data_center", "request_id")
    DATA_CENTER_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_CENTER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    data_center_id: str
    data_center: DataCenter
    request_id: str
    def __init__(self, data_center_id: _Optional[str] = ..., data_center: _Optional[_Union[DataCenter, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateDataCenterResponse(_message.Message):
    __slots__ = ("data_center",)
    DATA_CENTER_FIELD_NUMBER: _ClassVar[int]
    data_center: DataCenter
    def __init__(self, data_center: _Optional[_Union[DataCenter, _Mapping]] = ...) -> None: ...

class GetDataCenterRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetDataCenterResponse(_message.Message):
    __slots__ = ("data_center",)
    DATA_CENTER_FIELD_NUMBER: _ClassVar[int]
    data_center: DataCenter
    def __init__(self, data_center: _Optional[_Union[DataCenter, _Mapping]] = ...) -> None: ...

class ListDataCentersRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "filter")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    filter: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., filter: _Optional[str] = ...) -> None: ...

class ListDataCentersResponse(_message.Message):
    __slots__ = ("data_centers", "next_page_token", "total_size")
    DATA_CENTERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    data_centers: _containers.RepeatedCompositeFieldContainer[DataCenter]
    next_page_token: str
    total_size: int
    def __init__(self, data_centers: _Optional[_Iterable[_Union[DataCenter, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateDataCenterRequest(_message.Message):
    __slots__ = ("data_center", "update_mask")
    DATA_CENTER_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    data_center: DataCenter
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, data_center: _Optional[_Union[DataCenter, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateDataCenterResponse(_message.Message):
    __slots__ = ("data_center",)
    DATA_CENTER_FIELD_NUMBER: _ClassVar[int]
    data_center: DataCenter
    def __init__(self, data_center: _Optional[_Union[DataCenter, _Mapping]] = ...) -> None: ...

class DeleteDataCenterRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteDataCenterResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateRackRequest(_message.Message):
    __slots__ = ("parent", "rack_id", "rack", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    RACK_ID_FIELD_NUMBER: _ClassVar[int]
    RACK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    rack_id: str
    rack: Rack
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., rack_id: _Optional[str] = ..., rack: _Optional[_Union[Rack, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateRackResponse(_message.Message):
    __slots__ = ("rack",)
    RACK_FIELD_NUMBER: _ClassVar[int]
    rack: Rack
    def __init__(self, rack: _Optional[_Union[Rack, _Mapping]] = ...) -> None: ...

class GetRackRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetRackResponse(_message.Message):
    __slots__ = ("rack",)
    RACK_FIELD_NUMBER: _ClassVar[int]
    rack: Rack
    def __init__(self, rack: _Optional[_Union[Rack, _Mapping]] = ...) -> None: ...

class ListRacksRequest(_message.Message):
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

class ListRacksResponse(_message.Message):
    __slots__ = ("racks", "next_page_token", "total_size")
    RACKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    racks: _containers.RepeatedCompositeFieldContainer[Rack]
    next_page_token: str
    total_size: int
    def __init__(self, racks: _Optional[_Iterable[_Union[Rack, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateRackRequest(_message.Message):
    __slots__ = ("rack", "update_mask")
    RACK_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    rack: Rack
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, rack: _Optional[_Union[Rack, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateRackResponse(_message.Message):
    __slots__ = ("rack",)
    RACK_FIELD_NUMBER: _ClassVar[int]
    rack: Rack
    def __init__(self, rack: _Optional[_Union[Rack, _Mapping]] = ...) -> None: ...

class DeleteRackRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteRackResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreatePoolRequest(_message.Message):
    __slots__ = ("parent", "pool_id", "pool", "node_count", "racks", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    POOL_ID_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    NODE_COUNT_FIELD_NUMBER: _ClassVar[int]
    RACKS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    pool_id: str
    pool: Pool
    node_count: int
    racks: _containers.RepeatedScalarFieldContainer[str]
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., pool_id: _Optional[str] = ..., pool: _Optional[_Union[Pool, _Mapping]] = ..., node_count: _Optional[int] = ..., racks: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreatePoolResponse(_message.Message):
    __slots__ = ("pool",)
    POOL_FIELD_NUMBER: _ClassVar[int]
    pool: Pool
    def __init__(self, pool: _Optional[_Union[Pool, _Mapping]] = ...) -> None: ...

class GetPoolRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetPoolResponse(_message.Message):
    __slots__ = ("pool",)
    POOL_FIELD_NUMBER: _ClassVar[int]
    pool: Pool
    def __init__(self, pool: _Optional[_Union[Pool, _Mapping]] = ...) -> None: ...

class ListPoolsRequest(_message.Message):
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

class ListPoolsResponse(_message.Message):
    __slots__ = ("pools", "next_page_token", "total_size")
    POOLS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    pools: _containers.RepeatedCompositeFieldContainer[Pool]
    next_page_token: str
    total_size: int
    def __init__(self, pools: _Optional[_Iterable[_Union[Pool, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdatePoolRequest(_message.Message):
    __slots__ = ("pool", "update_mask")
    POOL_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    pool: Pool
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, pool: _Optional[_Union[Pool, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdatePoolResponse(_message.Message):
    __slots__ = ("pool",)
    POOL_FIELD_NUMBER: _ClassVar[int]
    pool: Pool
    def __init__(self, pool: _Optional[_Union[Pool, _Mapping]] = ...) -> None: ...

class DeletePoolRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeletePoolResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateNodeRequest(_message.Message):
    __slots__ = ("parent", "node_id", "node", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    node_id: str
    node: Node
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., node_id: _Optional[str] = ..., node: _Optional[_Union[Node, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateNodeResponse(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: Node
    def __init__(self, node: _Optional[_Union[Node, _Mapping]] = ...) -> None: ...

class GetNodeRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetNodeResponse(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: Node
    def __init__(self, node: _Optional[_Union[Node, _Mapping]] = ...) -> None: ...

class ListNodesRequest(_message.Message):
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

class ListNodesResponse(_message.Message):
    __slots__ = ("nodes", "next_page_token", "total_size")
    NODES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    next_page_token: str
    total_size: int
    def __init__(self, nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateNodeRequest(_message.Message):
    __slots__ = ("node", "update_mask")
    NODE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    node: Node
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, node: _Optional[_Union[Node, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateNodeResponse(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: Node
    def __init__(self, node: _Optional[_Union[Node, _Mapping]] = ...) -> None: ...

class DeleteNodeRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteNodeResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateLinkRequest(_message.Message):
    __slots__ = ("link_id", "link", "request_id")
    LINK_ID_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    link_id: str
    link: Link
    request_id: str
    def __init__(self, link_id: _Optional[str] = ..., link: _Optional[_Union[Link, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateLinkResponse(_message.Message):
    __slots__ = ("link",)
    LINK_FIELD_NUMBER: _ClassVar[int]
    link: Link
    def __init__(self, link: _Optional[_Union[Link, _Mapping]] = ...) -> None: ...

class GetLinkRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetLinkResponse(_message.Message):
    __slots__ = ("link",)
    LINK_FIELD_NUMBER: _ClassVar[int]
    link: Link
    def __init__(self, link: _Optional[_Union[Link, _Mapping]] = ...) -> None: ...

class ListLinksRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "filter")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    filter: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., filter: _Optional[str] = ...) -> None: ...

class ListLinksResponse(_message.Message):
    __slots__ = ("links", "next_page_token", "total_size")
    LINKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    links: _containers.RepeatedCompositeFieldContainer[Link]
    next_page_token: str
    total_size: int
    def __init__(self, links: _Optional[_Iterable[_Union[Link, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateLinkRequest(_message.Message):
    __slots__ = ("link", "update_mask")
    LINK_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    link: Link
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, link: _Optional[_Union[Link, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateLinkResponse(_message.Message):
    __slots__ = ("link",)
    LINK_FIELD_NUMBER: _ClassVar[int]
    link: Link
    def __init__(self, link: _Optional[_Union[Link, _Mapping]] = ...) -> None: ...

class DeleteLinkRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteLinkResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ImportInventoryRequest(_message.Message):
    __slots__ = ("content", "format", "validate_only", "request_id")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    content: bytes
    format: InventoryFormat
    validate_only: bool
    request_id: str
    def __init__(self, content: _Optional[bytes] = ..., format: _Optional[_Union[InventoryFormat, str]] = ..., validate_only: bool = ..., request_id: _Optional[str] = ...) -> None: ...

class ImportInventoryResponse(_message.Message):
    __slots__ = ("accelerator_models", "regions", "data_centers", "racks", "pools", "nodes", "links")
    ACCELERATOR_MODELS_FIELD_NUMBER: _ClassVar[int]
    REGIONS_FIELD_NUMBER: _ClassVar[int]
    DATA_CENTERS_FIELD_NUMBER: _ClassVar[int]
    RACKS_FIELD_NUMBER: _ClassVar[int]
    POOLS_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    accelerator_models: int
    regions: int
    data_centers: int
    racks: int
    pools: int
    nodes: int
    links: int
    def __init__(self, accelerator_models: _Optional[int] = ..., regions: _Optional[int] = ..., data_centers: _Optional[int] = ..., racks: _Optional[int] = ..., pools: _Optional[int] = ..., nodes: _Optional[int] = ..., links: _Optional[int] = ...) -> None: ...

class ExportInventoryRequest(_message.Message):
    __slots__ = ("format",)
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    format: InventoryFormat
    def __init__(self, format: _Optional[_Union[InventoryFormat, str]] = ...) -> None: ...

class ExportInventoryResponse(_message.Message):
    __slots__ = ("content",)
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    content: bytes
    def __init__(self, content: _Optional[bytes] = ...) -> None: ...
