import SFUCore
