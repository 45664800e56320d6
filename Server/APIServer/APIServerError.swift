import HTTPTypes
import Hummingbird
